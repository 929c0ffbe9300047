// The month calendar of due dates (GET /calendar?month=YYYY-MM&who=mine|scope&unit=…): the user's
// own events, or everything their scope shows (optionally under one unit). A bad month or choice
// is a message and this month's calendar; a unit outside the scope is a 404.
import type { Request } from 'express';
import { z } from 'zod';
import { todayIn } from '../lib/calendar-dates.ts';
import { type Outcome, view } from '../lib/outcomes.ts';
import { isUuid } from '../lib/uuid.ts';
import { EVENTS_PER_DAY, monthGrid } from '../services/calendar/month.ts';
import { facilitiesUnder, findUnitInScope, hierarchyTree, levelLabels, unitChoices } from '../services/organisation/hierarchy.ts';
import type { Actor } from '../types/actor.ts';

const monthQuery = z.object({
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'Choose a month as YYYY-MM, like 2026-12.').refine((m) => m >= '1900-01' && m <= '2999-12', 'Choose a month between 1900 and 2999.').optional(),
  who: z.enum(['mine', 'scope'], { error: 'Choose whose events to show.' }).optional(),
  unit: z.string().optional(),
});

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

export function calendarController() {
  return {
    // GET /calendar
    async month(req: Request, actor: Actor): Promise<Outcome> {
      const source = (req.query && typeof req.query === 'object' ? req.query : {}) as Record<string, unknown>;
      const unit = isUuid(source.unit) ? await findUnitInScope(source.unit) : undefined;
      const parsed = monthQuery.safeParse(source);
      const messages = parsed.success ? [] : [...new Set(parsed.error.issues.map((i) => i.message))];
      if (source.unit !== undefined && source.unit !== '' && !unit) messages.push('Place: choose one from the list.');
      const q = parsed.success ? parsed.data : {};
      // Associates work their own list first; everyone else starts from their scope.
      const who = q.who ?? (actor.user.rank === 'associate' ? 'mine' : 'scope');
      const month = q.month ?? todayIn(actor.client.timeZone).slice(0, 7);
      const facilityIds = unit ? (await facilitiesUnder(unit)).map((f) => f.id) : null;
      const grid = await monthGrid(actor.client, { month, mine: who === 'mine', userId: actor.user.id, facilityIds });
      const keep = (extra: Record<string, string>) => {
        const params = new URLSearchParams({ month, who, ...(unit ? { unit: unit.id } : {}), ...extra });
        return `/calendar?${params.toString()}`;
      };
      // Where a busy day's other events are listed in full.
      const moreHref = (date: string) => {
        const range = new URLSearchParams({ from: date, to: date, status: 'all' }).toString();
        if (who === 'mine') return `/events?${range}&show=all`;
        return unit ? `/units/${unit.id}/events?${range}` : null;
      };
      return view('calendar/month', {
        title: 'Calendar',
        grid,
        who,
        unitId: unit?.id ?? '',
        units: unitChoices(await hierarchyTree(), levelLabels(actor.client)),
        messages,
        weekdays: WEEKDAYS,
        perDay: EVENTS_PER_DAY,
        previousHref: keep({ month: grid.previous }),
        nextHref: keep({ month: grid.next }),
        moreHref,
      }, messages.length ? 422 : 200);
    },
  };
}
