// Who may see, manage and grant what in user management (DESIGN.md §2): rank × scope. The
// scope comes from the unit of work (services/organisation/hierarchy.ts currentScope); these are pure rules.
import type { Rank } from '../models/user.ts';
import { canManageRank, grantableRanks, type Principal } from './index.ts';

export interface ScopeView {
  /** Administrator or whole-client scope. */
  whole: boolean;
  /** Units the scope covers: its nodes and everything below them. */
  units: Set<string>;
}

export interface UserTarget {
  id: string;
  rank: Rank;
  /** The target's scope nodes; null stands for the whole client. */
  scopeUnitIds: (string | null)[];
}

/** A scoped actor sees a user only when every node of that user's scope lies inside their own;
 *  whole-client users (Administrators included) and users without scope stay invisible to them. */
export function canSeeUser(scope: ScopeView, target: UserTarget): boolean {
  if (scope.whole) return true;
  if (target.rank === 'administrator' || target.scopeUnitIds.length === 0) return false;
  return target.scopeUnitIds.every((id) => id !== null && scope.units.has(id));
}

/** Managing (edit, deactivate, unlock, …): visible, not oneself, and of a rank the actor may grant. */
export function canManageUser(actor: Principal & { id: string }, scope: ScopeView, target: UserTarget): boolean {
  return target.id !== actor.id && canSeeUser(scope, target) && canManageRank(actor, target.rank);
}

export function canGrantRank(actor: Principal, rank: Rank): boolean {
  return grantableRanks(actor).includes(rank);
}

export interface RequestedScope {
  whole: boolean;
  unitIds: string[];
}

/** Why a requested scope may not be granted, or undefined. Units must already be known to be
 *  visible, active units of the client (the service checks that). */
export function scopeGrantProblem(scope: ScopeView, rank: Rank, requested: RequestedScope): string | undefined {
  if (requested.whole && !scope.whole) return 'Only users whose scope is the whole organisation may grant it.';
  if (requested.unitIds.some((id) => !scope.whole && !scope.units.has(id))) return 'One of the chosen units is not in your scope.';
  if (rank !== 'administrator' && !requested.whole && requested.unitIds.length === 0) return 'Choose at least one unit (or the whole organisation).';
  return undefined;
}
