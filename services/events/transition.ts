// The staff-transition tool (DESIGN.md §5): everything a departing user holds in the
// actor's scope (Plan Item assignments and open events, per facility) moves to one replacement or
// to one per facility, previewed first, applied in one transaction, audited, and optionally the
// departing user is deactivated afterwards. Row-level security keeps facilities outside the
// actor's scope out of every query here, so nothing there is counted, shown or moved; closed and
// cancelled events never move.
import { HttpError, ValidationError, type FieldErrors } from '../../lib/errors.ts';
import { inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import type { Actor } from '../../types/actor.ts';
import { actorContext } from '../actor-context.ts';
import type { Database } from '../../models/index.ts';
import type { Rank, UserStatus } from '../../models/user.ts';
import { canManageUser, canSeeUser } from '../../policies/users.ts';
import { audit, auditMany } from '../audit/entries.ts';
import type { RequestMeta } from '../auth/types.ts';
import { currentScope } from '../organisation/hierarchy.ts';
import type { AssigneeChoice } from '../plans/plan-items.ts';
import { describeHeld, usersCovering } from './reassignment.ts';
import { deactivateUser, findVisibleUser, HoldsAssignmentsError, type VisibleUser } from '../organisation/users.ts';

export interface Candidate {
  id: string;
  name: string;
  email: string;
  rank: Rank;
  status: UserStatus;
  planItems: number;
  openEvents: number;
}

/** Users the actor may see (policies/users.ts canSeeUser) who hold anything in the actor's scope. */
export async function departingCandidates(): Promise<Candidate[]> {
  const rows = await sql<Candidate & { scopeIds: (string | null)[] }>(
    `WITH held AS (
       SELECT assignee_id, count(*) AS items, 0 AS events FROM plan_items
        WHERE client_id = app_current_client() GROUP BY assignee_id
       UNION ALL
       SELECT assignee_id, 0, count(*) FROM events
        WHERE client_id = app_current_client() AND status = 'open' GROUP BY assignee_id
     )
     SELECT u.id, u.name, u.email, u.rank, u.status, sum(h.items)::int AS "planItems", sum(h.events)::int AS "openEvents",
            coalesce((SELECT array_agg(s.org_unit_id) FROM user_scopes s WHERE s.client_id = u.client_id AND s.user_id = u.id), '{}') AS "scopeIds"
       FROM held h JOIN users u ON u.client_id = app_current_client() AND u.id = h.assignee_id
      GROUP BY u.id
      ORDER BY lower(u.name), u.id`,
  );
  const scope = await currentScope();
  return rows
    .filter((r) => canSeeUser(scope, { id: r.id, rank: r.rank, scopeUnitIds: r.scopeIds }))
    .map(({ scopeIds: _scopeIds, ...candidate }) => candidate);
}

export interface Holding {
  facilityId: string;
  facilityName: string;
  planItems: number;
  hiddenPlanItems: number;
  openEvents: number;
  /** Who may take this facility's assignments (active, scope covering it), the departing user excluded. */
  choices: AssigneeChoice[];
}

/** What the user holds in the actor's scope, by facility name. */
export async function holdingsInScope(userId: string): Promise<Holding[]> {
  const rows = await sql<Omit<Holding, 'choices'>>(
    `WITH held AS (
       SELECT facility_id, count(*) AS items, count(*) FILTER (WHERE hidden) AS hidden, 0 AS events FROM plan_items
        WHERE client_id = app_current_client() AND assignee_id = $1 GROUP BY facility_id
       UNION ALL
       SELECT facility_id, 0, 0, count(*) FROM events
        WHERE client_id = app_current_client() AND assignee_id = $1 AND status = 'open' GROUP BY facility_id
     )
     SELECT f.id AS "facilityId", f.name AS "facilityName", sum(h.items)::int AS "planItems",
            sum(h.hidden)::int AS "hiddenPlanItems", sum(h.events)::int AS "openEvents"
       FROM held h JOIN org_units f ON f.client_id = app_current_client() AND f.id = h.facility_id
      GROUP BY f.id, f.name
      ORDER BY lower(f.name), f.id`,
    [userId],
  );
  const holdings: Holding[] = [];
  for (const row of rows) holdings.push({ ...row, choices: (await usersCovering([row.facilityId])).filter((u) => u.id !== userId) });
  return holdings;
}

export interface TransitionPage {
  departing: VisibleUser;
  holdings: Holding[];
  /** Who may take everything at once: covering every facility held. */
  allChoices: AssigneeChoice[];
  /** Whether the actor may deactivate the departing user (not oneself, a rank they may grant). */
  canDeactivate: boolean;
}

/** The departing user (404 unless the actor may see them) and what they hold in scope. */
export async function transitionPage(actor: Actor, userId: string): Promise<TransitionPage> {
  const departing = await findVisibleUser(userId);
  const holdings = await holdingsInScope(departing.user.id);
  const allChoices = holdings.length ? (await usersCovering(holdings.map((h) => h.facilityId))).filter((u) => u.id !== departing.user.id) : [];
  const canDeactivate = departing.user.status !== 'deactivated' && canManageUser(actor.user, departing.scope, departing.target);
  return { departing, holdings, allChoices, canDeactivate };
}

/** What the form asks for: one replacement for all, or one (or none: stays) per facility. */
export type TransitionChoice = { mode: 'all'; replacementId: string } | { mode: 'each'; perFacility: Record<string, string> };

export interface MoveRow {
  facilityId: string;
  facilityName: string;
  planItems: number;
  openEvents: number;
  to: AssigneeChoice;
}

/** Checks the choice against what the user holds now; 422 with every problem against its field. */
export function planMoves(page: TransitionPage, choice: TransitionChoice): MoveRow[] {
  const { departing, holdings } = page;
  const name = departing.user.name;
  if (holdings.length === 0) throw new ValidationError({ form: `${name} holds nothing in your scope.` }, `${name} holds nothing in your scope.`);
  const errors: FieldErrors = {};
  const moves: MoveRow[] = [];
  const row = (h: Holding, to: AssigneeChoice): MoveRow => ({ facilityId: h.facilityId, facilityName: h.facilityName, planItems: h.planItems, openEvents: h.openEvents, to });
  if (choice.mode === 'all') {
    const to = page.allChoices.find((u) => u.id === choice.replacementId.toLowerCase());
    if (!to) {
      errors.replacement = choice.replacementId
        ? `That user is outside the facility's scope (or is ${name}): choose someone whose scope covers every facility listed.`
        : 'Choose the replacement.';
    } else moves.push(...holdings.map((h) => row(h, to)));
  } else {
    const held = new Set(holdings.map((h) => h.facilityId));
    for (const [facilityId, replacementId] of Object.entries(choice.perFacility)) {
      if (replacementId && !held.has(facilityId)) errors.form = `${name} no longer holds anything at one of the chosen facilities. Review the list and try again.`;
    }
    for (const h of holdings) {
      const replacementId = (choice.perFacility[h.facilityId] ?? '').toLowerCase();
      if (!replacementId) continue;
      const to = h.choices.find((u) => u.id === replacementId);
      if (!to) errors[`facility_${h.facilityId}`] = `That user is outside the facility's scope (or is ${name}): choose someone whose scope covers ${h.facilityName}.`;
      else moves.push(row(h, to));
    }
    if (!Object.keys(errors).length && moves.length === 0) errors.form = 'Choose a replacement for at least one facility.';
  }
  if (Object.keys(errors).length) throw new ValidationError(errors, errors.form ?? 'Please correct the highlighted fields. Nothing was changed.');
  return moves;
}

export interface AppliedRow extends MoveRow {
  planItemIds: string[];
  eventIds: string[];
}

/**
 * Moves the departing user's Plan Items (hidden ones too) and open events at each chosen facility
 * to that facility's replacement: one UPDATE per table in the caller's unit of work, an
 * 'event.reassigned' entry per moved event, and one 'transition.applied' entry with per-facility
 * counts and ids. Closed and cancelled events
 * keep their assignee (the record of who did the work).
 */
export async function applyMoves(actor: Actor, departingId: string, moves: MoveRow[]): Promise<AppliedRow[]> {
  const facilityIds = moves.map((m) => m.facilityId);
  const toIds = moves.map((m) => m.to.id);
  const items = await sql<{ id: string; facility_id: string }>(
    `UPDATE plan_items p SET assignee_id = m.to_id, updated_at = now(), updated_by = $4
       FROM unnest($2::uuid[], $3::uuid[]) AS m(facility_id, to_id)
      WHERE p.client_id = app_current_client() AND p.assignee_id = $1 AND p.facility_id = m.facility_id
      RETURNING p.id, p.facility_id`,
    [departingId, facilityIds, toIds, actor.user.id],
  );
  const events = await sql<{ id: string; facility_id: string }>(
    `UPDATE events e SET assignee_id = m.to_id, updated_at = now()
       FROM unnest($2::uuid[], $3::uuid[]) AS m(facility_id, to_id)
      WHERE e.client_id = app_current_client() AND e.assignee_id = $1 AND e.status = 'open' AND e.facility_id = m.facility_id
      RETURNING e.id, e.facility_id`,
    [departingId, facilityIds, toIds],
  );
  const applied = moves.map((m) => {
    const planItemIds = items.filter((i) => i.facility_id === m.facilityId).map((i) => i.id).sort();
    const eventIds = events.filter((e) => e.facility_id === m.facilityId).map((e) => e.id).sort();
    return { ...m, planItems: planItemIds.length, openEvents: eventIds.length, planItemIds, eventIds };
  });
  // Each moved event's own history shows the move, as a reassignment does.
  const toOf = new Map(moves.map((m) => [m.facilityId, m.to.id]));
  await auditMany(events.map((e) => ({ action: 'event.reassigned', entityType: 'event', entityId: e.id, changes: { from: departingId, to: toOf.get(e.facility_id), via: 'transition' } })));
  await audit({
    action: 'transition.applied',
    entityType: 'user',
    entityId: departingId,
    changes: {
      from: departingId,
      plan_items: items.length,
      open_events: events.length,
      facilities: applied.map((a) => ({
        facility_id: a.facilityId,
        facility_name: a.facilityName,
        to: a.to.id,
        plan_items: a.planItems,
        open_events: a.openEvents,
        plan_item_ids: a.planItemIds,
        event_ids: a.eventIds,
      })),
    },
  });
  return applied;
}

export interface DeactivationOutcome {
  done: boolean;
  /** Why not, when not done. */
  reason?: string;
}

/**
 * After a transition: deactivates the departing user, in its own units of work, only if the actor
 * may manage them and they now hold nothing anywhere in the client (facilities outside the
 * actor's scope included); otherwise says why. Must be called outside any unit of work.
 */
export async function deactivateAfterTransition(deps: { db: Database }, actor: Actor, userId: string, meta: RequestMeta): Promise<DeactivationOutcome> {
  const context = actorContext(actor, meta);
  const check = await inUnitOfWork(deps.db.sequelize, context, async () => {
    const found = await findVisibleUser(userId);
    if (found.user.status === 'deactivated') return { name: found.user.name, problem: `${found.user.name} is already deactivated.` };
    if (!canManageUser(actor.user, found.scope, found.target)) return { name: found.user.name, problem: `You may not manage ${found.user.name}'s account, so it stays active.` };
    return { name: found.user.name, problem: undefined };
  });
  if (check.problem) return { done: false, reason: check.problem };
  try {
    // Refuses (HoldsAssignmentsError) while they still hold anything anywhere in the organisation.
    await deactivateUser(deps, actor, userId, meta);
  } catch (error) {
    if (error instanceof HoldsAssignmentsError) {
      return { done: false, reason: `${check.name} still holds ${describeHeld(error.held)} elsewhere in the organisation, so the account stays active.` };
    }
    if (error instanceof HttpError) return { done: false, reason: error.message };
    throw error;
  }
  return { done: true };
}
