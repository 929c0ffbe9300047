// A month of due dates (DESIGN.md §7): the weeks (Monday first) that hold the month, each day
// with the events due on it that the user can see (row-level security), or only their own,
// optionally under one unit; open, overdue and closed (cancelled ones are no obligation). A busy
// day shows its first few and how many more there are, so a whole client's month stays a page.
import { addDays, addMonths, isoWeekday, todayIn } from '../../lib/calendar-dates.ts';
import { sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import { displayStatus, type DisplayStatus } from '../events/definitions.ts';

/** Events listed on one day; the rest are counted. */
export const EVENTS_PER_DAY = 4;

export interface MonthEvent {
  id: string;
  activity: string;
  facilityName: string;
  status: DisplayStatus;
}

export interface MonthDay {
  date: string;
  inMonth: boolean;
  today: boolean;
  events: MonthEvent[];
  /** Due that day beyond those listed. */
  more: number;
}

export interface MonthGrid {
  month: string;
  previous: string;
  next: string;
  weeks: MonthDay[][];
  total: number;
}

export interface MonthQuery {
  /** 'YYYY-MM'. */
  month: string;
  /** Only the user's own events. */
  mine: boolean;
  userId: string;
  /** The facilities of the chosen unit (null: the whole scope). */
  facilityIds: string[] | null;
}

export async function monthGrid(client: Client, query: MonthQuery, now: Date = new Date()): Promise<MonthGrid> {
  const first = `${query.month}-01`;
  const firstShown = addDays(first, 1 - isoWeekday(first));
  const lastOfMonth = addDays(addMonths(first, 1), -1);
  const lastShown = addDays(lastOfMonth, 7 - isoWeekday(lastOfMonth));
  const today = todayIn(client.timeZone, now);
  const rows = await sql<{ id: string; activity: string; facilityName: string; dueDate: string; status: 'open' | 'closed'; late: boolean; facilityToday: string; dayCount: number }>(
    `SELECT * FROM (
       SELECT e.id, e.activity, f.name AS "facilityName", e.due_date::text AS "dueDate", e.status, e.late,
              (($4::timestamptz AT TIME ZONE coalesce(f.time_zone, $5::text))::date)::text AS "facilityToday",
              count(*) OVER (PARTITION BY e.due_date)::int AS "dayCount",
              row_number() OVER (PARTITION BY e.due_date ORDER BY e.status = 'closed', e.activity, e.id) AS n
         FROM events e JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id
        WHERE e.client_id = app_current_client() AND e.status <> 'cancelled' AND e.due_date BETWEEN $1::date AND $2::date
          AND (NOT $3::boolean OR e.assignee_id = $6::uuid) AND ($7::uuid[] IS NULL OR e.facility_id = ANY ($7::uuid[]))) d
      WHERE n <= ${EVENTS_PER_DAY}
      ORDER BY "dueDate", n`,
    [firstShown, lastShown, query.mine, now.toISOString(), client.timeZone, query.userId, query.facilityIds],
  );
  const byDay = new Map<string, { events: MonthEvent[]; count: number }>();
  for (const r of rows) {
    const day = byDay.get(r.dueDate) ?? { events: [], count: r.dayCount };
    day.events.push({ id: r.id, activity: r.activity, facilityName: r.facilityName, status: displayStatus(r, r.facilityToday) });
    byDay.set(r.dueDate, day);
  }
  const weeks: MonthDay[][] = [];
  let total = 0;
  for (let date = firstShown; date <= lastShown; date = addDays(date, 1)) {
    if (isoWeekday(date) === 1) weeks.push([]);
    const day = byDay.get(date);
    const inMonth = date.startsWith(query.month);
    if (inMonth) total += day?.count ?? 0;
    weeks.at(-1)!.push({ date, inMonth, today: date === today, events: day?.events ?? [], more: day ? day.count - day.events.length : 0 });
  }
  return { month: query.month, previous: addMonths(first, -1).slice(0, 7), next: addMonths(first, 1).slice(0, 7), weeks, total };
}
