import type { Request } from 'express';
import { type Actor, type Outcome, view } from '../middleware/action.ts';
import { RANK_LABELS } from '../models/user.ts';

export function homeController() {
  return {
    // GET /
    async show(_req: Request, actor: Actor): Promise<Outcome> {
      return view('home/show', { title: 'Home', rankLabel: RANK_LABELS[actor.user.rank] });
    },

    // GET /account — the signed-in user's own settings: password and two-factor sign-in.
    async account(_req: Request, actor: Actor): Promise<Outcome> {
      return view('account/show', { title: 'Your account', rankLabel: RANK_LABELS[actor.user.rank] });
    },
  };
}
