// The unit-of-work context that acts as a request's actor, for services that open their own
// units of work (slow bcrypt work or long transactions stay outside the request's one).
import type { UnitOfWorkContext } from '../lib/unit-of-work.ts';
import type { Actor } from '../types/actor.ts';
import type { RequestMeta } from './auth/types.ts';
import { visitContext } from './support/visits.ts';

export function actorContext(actor: Actor, meta: RequestMeta): UnitOfWorkContext {
  if (actor.visit) return visitContext({ staffId: actor.visit.staffId }, { id: actor.visit.id, clientId: actor.client.id }, meta);
  return { actorKind: 'user', clientId: actor.client.id, userId: actor.user.id, ...meta };
}
