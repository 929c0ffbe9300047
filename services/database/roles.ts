// The four database roles of DESIGN.md §8.1, named from one prefix so several installs
// (or a test run) can share one PostgreSQL server.
export interface RoleNames {
  database: string;
  owner: string;
  app: string;
  session: string;
  backup: string;
}

export type RolePasswords = Record<'owner' | 'app' | 'session' | 'backup', string>;

export function roleNames(prefix: string): RoleNames {
  return {
    database: prefix,
    owner: `${prefix}_owner`,
    app: `${prefix}_app`,
    session: `${prefix}_session`,
    backup: `${prefix}_backup`,
  };
}

/** Double-quoted identifiers, ready to splice into DDL (names come from a validated prefix). */
export function quotedRoles(roles: RoleNames): RoleNames {
  const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
  return {
    database: q(roles.database),
    owner: q(roles.owner),
    app: q(roles.app),
    session: q(roles.session),
    backup: q(roles.backup),
  };
}

export function urlFor(baseUrl: string, user: string, password: string, database: string): string {
  const url = new URL(baseUrl);
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(password);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** Reads the role names back from the configured URLs (external servers). */
export function rolesFromUrls(urls: { owner: string; app: string; session: string; backup?: string }): RoleNames {
  const user = (u: string) => decodeURIComponent(new URL(u).username);
  return {
    database: decodeURIComponent(new URL(urls.owner).pathname.slice(1)),
    owner: user(urls.owner),
    app: user(urls.app),
    session: user(urls.session),
    backup: urls.backup ? user(urls.backup) : `${user(urls.owner).replace(/_owner$/, '')}_backup`,
  };
}
