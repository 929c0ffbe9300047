// Whether a client requires two-factor sign-in (clients.settings.requireTotp), and whether a
// user must enrol before any other page. Dependency-free so the action adapters can ask cheaply.

export const TWO_FACTOR_PATH = '/account/two-factor';

export const clientRequiresTotp = (client: { settings: Record<string, unknown> | null }): boolean => client.settings?.requireTotp === true;

export const mustEnrolFirst = (user: { totpEnabledAt: Date | null }, client: { settings: Record<string, unknown> | null }): boolean =>
  clientRequiresTotp(client) && !user.totpEnabledAt;
