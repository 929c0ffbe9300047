// Report: the management plan in summary: each Plan Item (hidden ones left out, as the plan table
// does) by facility, with its category, requirement, schedule in words, assignee and next due.
import { cursorRows, sql } from '../../lib/unit-of-work.ts';
import type { Requirement } from '../../models/plan-item.ts';
import { PlanItem } from '../../models/index.ts';
import { scheduleOf } from '../plans/plan-items.ts';
import { ScheduleError } from '../plans/recurrence.ts';
import { describeSchedule } from '../plans/schedule-words.ts';
import { checkPage, offsetOf, REPORT_PAGE_SIZE, type ReportFilter, type ReportPage, SqlFilter } from './filters.ts';

export interface PlanSummaryRow {
  id: string;
  activity: string;
  facilityName: string;
  category: string | null;
  requirement: Requirement;
  schedule: string;
  assigneeName: string;
  nextDueDate: string | null;
  active: boolean;
}

export interface PlanSummaryReport extends ReportPage<PlanSummaryRow> {
  active: number;
  inactive: number;
}

function filterOf(filter: ReportFilter) {
  const f = new SqlFilter().where('p.client_id = app_current_client()').where('NOT p.hidden');
  return f.scope(filter, { facility: 'p.facility_id', assignee: 'p.assignee_id', category: 'p.category' }).range(filter, 'p.next_due_date');
}

export async function planSummaryReport(filter: ReportFilter): Promise<PlanSummaryReport> {
  const counts = filterOf(filter);
  const [summary] = await sql<{ total: number; active: number }>(
    `SELECT count(*)::int AS total, count(*) FILTER (WHERE p.schedules_events)::int AS active FROM plan_items p WHERE ${counts.sql}`,
    counts.params,
  );
  const pages = checkPage(filter.page, summary!.total);
  const f = filterOf(filter);
  const ids = await sql<{ id: string; facilityName: string; assigneeName: string }>(
    `SELECT p.id, f.name AS "facilityName", coalesce(a.name, '—') AS "assigneeName"
       FROM plan_items p
       JOIN org_units f ON f.client_id = p.client_id AND f.id = p.facility_id
       LEFT JOIN users a ON a.client_id = p.client_id AND a.id = p.assignee_id
      WHERE ${f.sql}
      ORDER BY f.name, f.id, p.activity, p.id
      LIMIT ${REPORT_PAGE_SIZE} OFFSET ${offsetOf(filter.page)}`,
    f.params,
  );
  const items = new Map((await PlanItem.findAll({ where: { id: ids.map((r) => r.id) } })).map((i) => [i.id, i]));
  const rows = ids.flatMap((r) => {
    const item = items.get(r.id);
    if (!item) return [];
    let schedule: string;
    try {
      schedule = describeSchedule(scheduleOf(item));
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      schedule = `Schedule refused: ${error.message}`;
    }
    return [{ id: item.id, activity: item.activity, facilityName: r.facilityName, category: item.category, requirement: item.requirement, schedule, assigneeName: r.assigneeName, nextDueDate: item.nextDueDate, active: item.schedulesEvents }];
  });
  return { rows, total: summary!.total, page: filter.page, pages, active: summary!.active, inactive: summary!.total - summary!.active };
}

/** Every Plan Item of the report, in its order, from a cursor (its download). */
export async function* planSummaryRows(filter: ReportFilter): AsyncGenerator<PlanSummaryRow> {
  const f = filterOf(filter);
  const rows = cursorRows<Omit<PlanSummaryRow, 'schedule'> & Pick<PlanItem, 'scheduleKind' | 'rrule' | 'scheduleStart' | 'monthEndPolicy' | 'relativeEvery' | 'relativeUnit'>>(
    `SELECT p.id, p.activity, f.name AS "facilityName", p.category, p.requirement, coalesce(a.name, '—') AS "assigneeName",
            p.next_due_date::text AS "nextDueDate", p.schedules_events AS active,
            p.schedule_kind AS "scheduleKind", p.rrule, p.schedule_start::text AS "scheduleStart", p.month_end_policy AS "monthEndPolicy",
            p.relative_every AS "relativeEvery", p.relative_unit AS "relativeUnit"
       FROM plan_items p
       JOIN org_units f ON f.client_id = p.client_id AND f.id = p.facility_id
       LEFT JOIN users a ON a.client_id = p.client_id AND a.id = p.assignee_id
      WHERE ${f.sql}
      ORDER BY f.name, f.id, p.activity, p.id`,
    f.params,
  );
  for await (const { scheduleKind, rrule, scheduleStart, monthEndPolicy, relativeEvery, relativeUnit, ...r } of rows) {
    let schedule: string;
    try {
      schedule = describeSchedule(scheduleOf({ scheduleKind, rrule, scheduleStart, monthEndPolicy, relativeEvery, relativeUnit } as PlanItem));
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      schedule = `Schedule refused: ${error.message}`;
    }
    yield { ...r, schedule };
  }
}
