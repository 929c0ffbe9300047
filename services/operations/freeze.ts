// Freeze mode (DESIGN.md §9): a client's data, or every client's, made read-only. The database
// refuses the writes (migration 0021); this module reads the state for banners and jobs, and
// flips the Technical Director's switches with their audit entries.
import { ValidationError } from '../../lib/errors.ts';
import { sql } from '../../lib/unit-of-work.ts';
import { isUuid } from '../../lib/uuid.ts';
import { audit } from '../audit/entries.ts';

export type FreezeScope = 'configuration' | 'service' | 'client';

export interface FreezeState {
  scope: FreezeScope;
  reason: string;
  since: Date | null;
}

/** Why the client's data is frozen, or null when it is not (read in the current unit of work). */
export async function freezeStateOf(clientId: string | null): Promise<FreezeState | null> {
  const [row] = await sql<FreezeState>('SELECT scope, reason, since FROM app_freeze_state($1)', [clientId]);
  return row ?? null;
}

/** The given clients that are frozen now (event generation and notifications pass them by). */
export async function frozenAmong(clientIds: string[]): Promise<Set<string>> {
  if (clientIds.length === 0) return new Set();
  const rows = await sql<{ id: string }>('SELECT id FROM unnest($1::uuid[]) AS id WHERE app_client_frozen(id)', [clientIds]);
  return new Set(rows.map((r) => r.id));
}

export interface FrozenClient {
  id: string;
  frozen_at: Date;
  frozen_reason: string;
}

export function frozenClients(): Promise<FrozenClient[]> {
  return sql<FrozenClient>('SELECT id, frozen_at, frozen_reason FROM admin_frozen_clients() ORDER BY frozen_at');
}

/** The service-wide switch, as the admin area shows it (the configuration's READ_ONLY aside). */
export async function serviceFreeze(): Promise<FreezeState | null> {
  const state = await freezeStateOf(null);
  return state && state.scope !== 'client' ? state : null;
}

export interface FreezeTarget {
  /** null: the whole service. */
  clientId: string | null;
  clientName?: string;
}

/**
 * Freezes (reason given) or thaws (reason null) a client or the whole service, audited at the
 * vendor level. An unknown client is a validation error and changes nothing; freezing what is
 * already frozen (or thawing what is not) changes nothing and writes no entry.
 */
export async function setFreeze(target: FreezeTarget, reason: string | null): Promise<boolean> {
  if (target.clientId !== null && !isUuid(target.clientId)) throw new ValidationError({ target: 'Choose a client from the list.' });
  let changed: boolean;
  try {
    [{ changed }] = await sql<{ changed: boolean }>('SELECT admin_set_freeze($1, $2) AS changed', [target.clientId, reason]) as [{ changed: boolean }];
  } catch (error) {
    if ((error as { parent?: { code?: string } }).parent?.code === 'P0002') throw new ValidationError({ target: 'There is no such client: nothing was frozen.' });
    throw error;
  }
  if (changed) {
    await audit({
      action: reason === null ? 'freeze.thawed' : 'freeze.frozen',
      clientId: null,
      entityType: target.clientId ? 'client' : 'service',
      entityId: target.clientId,
      changes: { scope: target.clientId ? 'client' : 'service', ...(target.clientName ? { client: target.clientName } : {}), ...(reason ? { reason } : {}) },
    });
  }
  return changed;
}
