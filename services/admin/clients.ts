// The admin area's client directory: list, onboard and configure clients. Staff never
// read client tables directly here: admin_clients() / admin_save_client() /
// admin_invite_first_administrator() are the narrow doors the database opens to them.
import { randomBytes } from 'node:crypto';
import { Op, UniqueConstraintError } from 'sequelize';
import type { Config } from '../../config/index.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { type UnitOfWorkContext, inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { type Database, StaffUser } from '../../models/index.ts';
import { audit } from '../audit/entries.ts';
import { hashToken } from '../auth/link-tokens.ts';
import { queueMail } from '../mail/outbox.ts';
import { INVITE_DAYS } from '../organisation/users.ts';
import { isUuid } from '../../lib/uuid.ts';
import { staffNames } from '../staff/directory.ts';

export const CLIENT_STATUSES = ['active', 'suspended'] as const;
export type ClientStatus = (typeof CLIENT_STATUSES)[number];

export interface AdminClient {
  id: string;
  name: string;
  time_zone: string;
  status: ClientStatus;
  representative_id: string | null;
  support_approval_required: boolean;
  created_at: Date;
  user_count: string | number;
}

/** Every client, with its representative's name. */
export async function listClients(): Promise<(AdminClient & { representativeName: string | null })[]> {
  const clients = await sql<AdminClient>('SELECT * FROM admin_clients()');
  const names = await staffNames(clients.map((c) => c.representative_id));
  return clients.map((c) => ({ ...c, representativeName: c.representative_id ? names.get(c.representative_id)?.name ?? null : null }));
}

/** One client of the directory; an unknown (or malformed) id is a 404. */
export async function findClient(id: string): Promise<AdminClient> {
  if (!isUuid(id)) throw new NotFoundError();
  const [client] = await sql<AdminClient>('SELECT * FROM admin_clients() WHERE id = $1', [id]);
  if (!client) throw new NotFoundError();
  return client;
}

/** Client Representatives who may be assigned (any not deactivated). */
export function representativeOptions(): Promise<StaffUser[]> {
  return StaffUser.findAll({ where: { role: 'client_representative', status: { [Op.ne]: 'deactivated' } }, order: [['name', 'ASC'], ['id', 'ASC']] });
}

async function checkRepresentative(id: string | null): Promise<StaffUser | null> {
  if (!id) return null;
  const rep = isUuid(id) ? await StaffUser.findOne({ where: { id, role: 'client_representative', status: { [Op.ne]: 'deactivated' } } }) : null;
  if (!rep) throw new ValidationError({ representativeId: 'Choose a Client Representative from the list.' });
  return rep;
}

export interface ClientSettings {
  name: string;
  timeZone: string;
  status: ClientStatus;
  representativeId: string | null;
}

export interface NewClient extends Omit<ClientSettings, 'status'> {
  adminName: string;
  adminEmail: string;
}

const isUniqueViolation = (error: unknown): boolean =>
  error instanceof UniqueConstraintError || (error as { parent?: { code?: string } })?.parent?.code === '23505';

/** Creates the client and invites its first Administrator, in one staff unit of work: a taken
 *  e-mail rolls the whole unit back, so no client is left without its Administrator. */
export async function createClientWithAdministrator(
  deps: { db: Database; config: Pick<Config, 'baseUrl'> },
  context: UnitOfWorkContext,
  input: NewClient,
): Promise<string> {
  try {
    return await inUnitOfWork(deps.db.sequelize, context, async () => {
      const rep = await checkRepresentative(input.representativeId);
      const [{ id }] = await sql<{ id: string }>('SELECT admin_save_client(NULL, $1, $2, $3, $4::uuid) AS id', [input.name, input.timeZone, 'active', rep?.id ?? null]);
      const token = randomBytes(32).toString('base64url');
      const expires = new Date(Date.now() + INVITE_DAYS * 24 * 60 * 60_000);
      const [{ userId }] = await sql<{ userId: string }>(
        'SELECT admin_invite_first_administrator($1, $2, $3, $4, $5) AS "userId"',
        [id, input.adminEmail, input.adminName, hashToken(token), expires],
      );
      await queueMail({
        to: input.adminEmail,
        kind: 'user.invite',
        sensitive: true,
        subject: `You are invited to PlanTRAK (${input.name})`,
        text: [
          `Hello ${input.adminName},`,
          '',
          `SolutionsTRAK has set up PlanTRAK for ${input.name}, with you as its first Administrator.`,
          `Open this link within ${INVITE_DAYS} days to choose your password (it works once):`,
          '',
          `${deps.config.baseUrl}/invite/accept?token=${token}`,
          '',
          'If you did not expect this invitation, ignore this message.',
        ].join('\n'),
      });
      await audit({
        action: 'client.created',
        clientId: null,
        entityType: 'client',
        entityId: id,
        changes: {
          name: [null, input.name],
          time_zone: [null, input.timeZone],
          representative: [null, rep ? `${rep.name} (${rep.id})` : null],
          first_administrator_email: [null, input.adminEmail],
          first_administrator_id: [null, userId],
        },
      });
      return id;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ValidationError({ adminEmail: 'This e-mail address already has a PlanTRAK account. Use another address.' });
    throw error;
  }
}

/** New settings for a client (in the current staff unit of work), audited before/after. */
export async function updateClient(id: string, input: ClientSettings): Promise<{ client: AdminClient; changed: boolean }> {
  const before = await findClient(id);
  const rep = await checkRepresentative(input.representativeId);
  await sql('SELECT admin_save_client($1, $2, $3, $4, $5::uuid)', [id, input.name, input.timeZone, input.status, rep?.id ?? null]);
  const after = await findClient(id);
  const changes: Record<string, [unknown, unknown]> = {};
  for (const key of ['name', 'time_zone', 'status', 'representative_id'] as const) {
    if (before[key] !== after[key]) changes[key] = [before[key], after[key]];
  }
  if (changes.representative_id) {
    const names = await staffNames([before.representative_id, after.representative_id]);
    const nameOf = (v: string | null) => (v ? names.get(v)?.name ?? v : null);
    changes.representative = [nameOf(before.representative_id), nameOf(after.representative_id)];
  }
  const changed = Object.keys(changes).length > 0;
  if (changed) await audit({ action: 'client.updated', clientId: null, entityType: 'client', entityId: id, changes });
  return { client: after, changed };
}

export interface VisitRow {
  id: string;
  staff_id: string;
  reason: string;
  read_only: boolean;
  status: string;
  requested_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
  end_reason: string | null;
  staffName: string;
}

/** The client's most recent support sessions, newest first, with the staff member's name. */
export async function recentVisits(clientId: string, limit = 50): Promise<VisitRow[]> {
  const rows = await sql<Omit<VisitRow, 'staffName'>>(
    `SELECT id, staff_id, reason, read_only, status, requested_at, started_at, ended_at, end_reason
       FROM support_sessions WHERE client_id = $1 ORDER BY requested_at DESC, id LIMIT $2`,
    [clientId, limit],
  );
  const names = await staffNames(rows.map((r) => r.staff_id));
  return rows.map((r) => ({ ...r, staffName: names.get(r.staff_id)?.name ?? 'Unknown staff member' }));
}
