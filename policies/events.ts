// Who may do what with one event (DESIGN.md §2, §5): rank decides, and for working an event also
// whose it is. Visibility (scope) is row-level security; these rules take a visible event.
import { can, type Principal } from './index.ts';

export interface EventTarget {
  assigneeId: string;
  status: 'open' | 'closed' | 'cancelled';
}

type Actor = Principal & { id: string };

/** Answer the checklist, upload or remove evidence, close: the assignee, or a Manager and above. */
export function canWorkEvent(actor: Actor, event: EventTarget): boolean {
  return event.status === 'open' && ((event.assigneeId === actor.id && can(actor, 'events.work_own')) || can(actor, 'events.close_others'));
}

/** Anyone who may see the event may add to its thread, whatever its status (append-only). */
export function canComment(actor: Actor, _event: EventTarget): boolean {
  return can(actor, 'events.work_own');
}

export function canReopen(actor: Actor, event: EventTarget): boolean {
  return event.status !== 'open' && can(actor, 'events.reopen');
}

export function canCancel(actor: Actor, event: EventTarget): boolean {
  return event.status === 'open' && can(actor, 'events.cancel');
}

export function canReassign(actor: Actor, event: EventTarget): boolean {
  return event.status === 'open' && can(actor, 'events.reassign');
}
