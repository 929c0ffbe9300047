import type { Request } from 'express';
import type { Actor } from '../types/actor.ts';
import { type Outcome, view } from '../lib/outcomes.ts';
import { RANK_LABELS } from '../models/user.ts';
import { MY_EVENTS_DAYS, myEvents } from '../services/events/lists.ts';

export function homeController() {
  return {
    // GET / — who you are, and what of yours is overdue or due soon.
    async show(_req: Request, actor: Actor): Promise<Outcome> {
      const { rows } = await myEvents(actor.user.id, actor.client);
      const overdue = rows.filter((r) => r.status === 'overdue');
      return view('home/show', { title: 'Home', rankLabel: RANK_LABELS[actor.user.rank], overdue, dueSoon: rows.length - overdue.length, windowDays: MY_EVENTS_DAYS, upcoming: rows.slice(0, 5) });
    },

    // GET /account — the signed-in user's own settings: password and two-factor sign-in.
    async account(_req: Request, actor: Actor): Promise<Outcome> {
      return view('account/show', { title: 'Your account', rankLabel: RANK_LABELS[actor.user.rank] });
    },
  };
}
