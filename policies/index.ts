// What each rank may do (DESIGN.md §2), as data: the least senior rank allowed per action.
// Visibility is row-level security; these rules decide what a visible row may be used for.
// Clients cannot widen the matrix. Controllers call authorize(); views call can().
import { ForbiddenError } from '../lib/errors.ts';
import { RANKS, type Rank } from '../models/user.ts';

export const MINIMUM_RANK = {
  'hierarchy.view': 'associate',
  'hierarchy.manage': 'administrator',
  'settings.manage': 'administrator',
  'audit.view': 'administrator',
  // The client's notification ledger (every notice to everyone) and its downloads.
  'notifications.view': 'administrator',
  'users.view': 'director',
  'users.manage': 'director',
  'plans.view': 'associate',
  // §2 gives Directors "create/edit Plan Items" but Managers only "edit Plan Items of own facilities".
  'plans.create': 'director',
  'plans.edit': 'manager',
  'plans.assign': 'director',
  'events.work_own': 'associate',
  'events.close_others': 'manager',
  'events.reopen': 'manager',
  // Cancelling drops an obligation: the same ones who may reopen (and close others' events).
  'events.cancel': 'manager',
  'events.reassign': 'director',
  'transition.run': 'director',
  'reports.view': 'manager',
  'exports.download': 'manager',
  // Everything the client holds, in one file: data ownership (DESIGN.md §7), so the whole client's.
  'exports.full_client': 'administrator',
} as const satisfies Record<string, Rank>;

export type Action = keyof typeof MINIMUM_RANK;
export const ACTIONS = Object.keys(MINIMUM_RANK) as Action[];

/** Seniority: 0 for Administrator, growing downwards; -1 for a rank that is not one of ours. */
export const seniority = (rank: Rank): number => RANKS.indexOf(rank);
const known = (rank: Rank): boolean => seniority(rank) >= 0;

export interface Principal {
  rank: Rank;
}

export function can(actor: Principal | undefined, action: Action): boolean {
  // An unknown rank would rank above Administrator (-1); it gets nothing instead.
  return Boolean(actor) && known(actor!.rank) && seniority(actor!.rank) <= seniority(MINIMUM_RANK[action]);
}

export function authorize(actor: Principal | undefined, action: Action): void {
  if (!can(actor, action)) throw new ForbiddenError();
}

/** Ranks this actor may give to others: those below their own; Administrators also Administrator. */
export function grantableRanks(actor: Principal): Rank[] {
  if (!known(actor.rank)) return [];
  return RANKS.filter((rank) => (actor.rank === 'administrator' ? true : seniority(rank) > seniority(actor.rank)));
}

/** Whether the actor may manage (edit, deactivate, …) a user of the given rank. */
export function canManageRank(actor: Principal, targetRank: Rank): boolean {
  return grantableRanks(actor).includes(targetRank);
}
