// The signed-in user and their client in one statement, read under RLS in the request's unit of
// work: the same columns the models read (the runtime role cannot read the secret ones anyway).
import type { Model, ModelStatic } from 'sequelize';
import { sql, takeOpeningRows } from '../../lib/unit-of-work.ts';
import { Client, User } from '../../models/index.ts';
import { selectList } from '../../models/select-list.ts';
import type { FreezeState } from '../operations/freeze.ts';

let text: string | undefined;

/** The statement that reads the unit of work's user (app.user_id) and client (app.client_id): no
 *  parameters, so the unit of work's opening round trip can carry it (inUnitOfWork's openingRead). */
export function signedInUserSql(): string {
  text ??= `SELECT ${selectList(User as unknown as ModelStatic<Model>, 'u', 'u.')}, ${selectList(Client as unknown as ModelStatic<Model>, 'c', 'c.')},
            (SELECT json_build_object('scope', f.scope, 'reason', f.reason, 'since', f.since) FROM app_freeze_state(c.id) f LIMIT 1) AS "frozen"
       FROM users u JOIN clients c ON c.id = u.client_id WHERE u.id = app_current_user() AND c.id = app_current_client()`;
  return text;
}

/** The unit of work's user and client, and why the client's data is frozen (null when it is not:
 *  services/operations/freeze.ts), or nothing when either is not visible (or the user is not the
 *  client's). Read by the opening round trip when it carried signedInUserSql(), else now. */
export async function signedInUser(): Promise<{ user: User; client: Client; frozen: FreezeState | null } | undefined> {
  const [row] = takeOpeningRows<Record<string, unknown>>(signedInUserSql()) ?? await sql<Record<string, unknown>>(signedInUserSql());
  if (!row) return undefined;
  const part = (alias: string) =>
    Object.fromEntries(Object.entries(row).filter(([key]) => key.startsWith(`${alias}.`)).map(([key, value]) => [key.slice(alias.length + 1), value]));
  const frozen = row.frozen as (Omit<FreezeState, 'since'> & { since: string | null }) | null;
  return {
    user: User.build(part('u'), { isNewRecord: false, raw: true }),
    client: Client.build(part('c'), { isNewRecord: false, raw: true }),
    frozen: frozen ? { ...frozen, since: frozen.since ? new Date(frozen.since) : null } : null,
  };
}
