// The management plan as a file: the plan table's rows (a facility's, or a roll-up's), with its
// filters and in its order (by facility name, then activity), read from a cursor, with the
// columns of the table and the item's reference, requirement and description besides.
import { cursorRows } from '../../lib/unit-of-work.ts';
import type { Client, OrgUnit, PlanItem } from '../../models/index.ts';
import type { UnitRow } from '../organisation/hierarchy.ts';
import type { CellValue, ExportFormat, StreamedTable, TableColumn } from '../../types/table.ts';
import { mapRows, tableDownload } from '../exports/tables.ts';
import { scheduleOf } from './plan-items.ts';
import { ScheduleError } from './recurrence.ts';
import { describeSchedule } from './schedule-words.ts';

export interface PlanFilter {
  showHidden: boolean;
  category?: string;
  status?: 'active' | 'inactive';
}

export const PLAN_EXPORT_COLUMNS: TableColumn[] = [
  { header: 'Facility', width: 28 }, { header: 'Activity', width: 40 }, { header: 'Category', width: 18 }, { header: 'Schedule', width: 40 },
  { header: 'Assignee', width: 24 }, { header: 'Next due', width: 12, type: 'date' }, { header: 'Status', width: 24 }, { header: 'Hidden', width: 8 },
  { header: 'Regulatory reference', width: 24 }, { header: 'Requirement', width: 12 }, { header: 'Description', width: 50 }, { header: 'Plan Item id', width: 38 },
];

type PlanExportRow = Pick<PlanItem, 'id' | 'activity' | 'category' | 'scheduleKind' | 'rrule' | 'scheduleStart' | 'monthEndPolicy' | 'relativeEvery' | 'relativeUnit'
  | 'nextDueDate' | 'schedulesEvents' | 'hidden' | 'regulatoryReference' | 'requirement' | 'description'> & { facilityName: string; assigneeName: string };

function scheduleText(row: PlanExportRow): string {
  try {
    return describeSchedule(scheduleOf(row as unknown as PlanItem));
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    return `Schedule refused: ${error.message}`;
  }
}

function planCells(r: PlanExportRow): CellValue[] {
  return [
    r.facilityName, r.activity, r.category, scheduleText(r), r.assigneeName, r.nextDueDate, r.schedulesEvents ? 'Schedules events' : 'Does not schedule events',
    r.hidden ? 'Yes' : 'No', r.regulatoryReference, r.requirement, r.description, r.id,
  ];
}

/** The plan's items from a cursor, in the table's order: facilities as the page sorts their names
 *  (each name's rank is worked out here and bound), then activity and id as the database sorts them. */
async function* planItemsOf(facilities: UnitRow[], filter: PlanFilter): AsyncGenerator<PlanExportRow> {
  if (facilities.length === 0) return;
  const names = [...new Set(facilities.map((f) => f.name))].sort((a, b) => a.localeCompare(b));
  const rank = new Map(names.map((n, i) => [n, i]));
  const bind: unknown[] = [facilities.map((f) => f.id), facilities.map((f) => rank.get(f.name)!)];
  const where = ['p.client_id = app_current_client()', 'p.facility_id = ANY ($1::uuid[])'];
  if (!filter.showHidden) where.push('NOT p.hidden');
  if (filter.category) where.push(`p.category = $${bind.push(filter.category)}::text`);
  if (filter.status) where.push(`p.schedules_events = $${bind.push(filter.status === 'active')}::boolean`);
  yield* cursorRows<PlanExportRow>(
    `SELECT p.id, p.activity, p.category, p.schedule_kind AS "scheduleKind", p.rrule, p.schedule_start::text AS "scheduleStart",
            p.month_end_policy AS "monthEndPolicy", p.relative_every AS "relativeEvery", p.relative_unit AS "relativeUnit",
            p.next_due_date::text AS "nextDueDate", p.schedules_events AS "schedulesEvents", p.hidden, p.regulatory_reference AS "regulatoryReference",
            p.requirement, p.description, f.name AS "facilityName", coalesce(a.name, '—') AS "assigneeName"
       FROM plan_items p
       JOIN org_units f ON f.client_id = p.client_id AND f.id = p.facility_id
       JOIN unnest($1::uuid[], $2::int[]) AS r(facility_id, rank) ON r.facility_id = p.facility_id
       LEFT JOIN users a ON a.client_id = p.client_id AND a.id = p.assignee_id
      WHERE ${where.join(' AND ')}
      ORDER BY r.rank, p.activity, p.id`,
    bind,
  );
}

export function planExport(client: Client, unit: OrgUnit, facilities: UnitRow[], filter: PlanFilter, format: ExportFormat): StreamedTable {
  return tableDownload(client, format, {
    what: ['management-plan', unit.name],
    sheetName: 'Management plan',
    columns: PLAN_EXPORT_COLUMNS,
    rows: () => mapRows(planItemsOf(facilities, filter), planCells),
    action: 'plan.exported',
    entityType: 'org_unit',
    entityId: unit.id,
    filters: { hidden: filter.showHidden ? '1' : undefined, category: filter.category, status: filter.status },
  });
}
