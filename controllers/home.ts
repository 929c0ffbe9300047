import type { Request } from 'express';
import { todayIn } from '../lib/calendar-dates.ts';
import { NotFoundError } from '../lib/errors.ts';
import { type Outcome, view } from '../lib/outcomes.ts';
import { isUuid } from '../lib/uuid.ts';
import { RANK_LABELS } from '../models/user.ts';
import { MY_EVENTS_DAYS, myEvents } from '../services/events/lists.ts';
import { levelLabels } from '../services/organisation/hierarchy.ts';
import { dashboard } from '../services/reports/dashboard.ts';
import type { Actor } from '../types/actor.ts';
import { dashboardView } from './dashboard-presenter.ts';

/** My own events shown on the dashboard. */
const MINE_SHOWN = 8;

export function homeController() {
  return {
    // GET /?unit=… — the dashboard over the user's scope (drilled down to a unit's children),
    // with the user's own events; Associates see their own work first.
    async show(req: Request, actor: Actor): Promise<Outcome> {
      const unitId = typeof req.query.unit === 'string' && isUuid(req.query.unit) ? req.query.unit : undefined;
      if (req.query.unit !== undefined && !unitId) throw new NotFoundError();
      const board = await dashboard(actor.client, unitId);
      if (!board) throw new NotFoundError();
      const mine = actor.user.id ? await myEvents(actor.user.id, actor.client) : { rows: [], total: 0, later: 0 };
      return view('home/show', {
        title: 'Home',
        rankLabel: RANK_LABELS[actor.user.rank],
        board: dashboardView(board, levelLabels(actor.client), todayIn(actor.client.timeZone)),
        mine: mine.rows.slice(0, MINE_SHOWN),
        mineTotal: mine.total,
        mineOverdue: mine.rows.filter((r) => r.status === 'overdue').length,
        windowDays: MY_EVENTS_DAYS,
        ownWorkFirst: actor.user.rank === 'associate',
      });
    },

    // GET /account — the signed-in user's own settings: password and two-factor sign-in.
    async account(_req: Request, actor: Actor): Promise<Outcome> {
      return view('account/show', { title: 'Your account', rankLabel: RANK_LABELS[actor.user.rank] });
    },
  };
}
