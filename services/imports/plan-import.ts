// Plan Item import (DESIGN.md §7): an uploaded XLSX or CSV is kept (plan_item_imports, its
// uploader's only, 24 hours) so that the dry run and the apply read the very same file on any
// server. The dry run reads every row into a Plan Item — facility and assignee looked up under
// row-level security (so only facilities in the actor's scope exist), the schedule read from
// words — and reports each row's errors against the cell they come from. Applying reads the kept
// file again and creates every row or none, audited; events come from the generation run started
// after the commit, never inside the import's transaction.
import { createHash } from 'node:crypto';
import { compareDates, isValidDate, todayIn } from '../../lib/calendar-dates.ts';
import { logger, loggableError } from '../../lib/logger.ts';
import { HttpError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { afterCommit, currentUnit, sql } from '../../lib/unit-of-work.ts';
import { type Client, PlanItem } from '../../models/index.ts';
import type { ChecklistItem, MonthEndPolicy, Requirement } from '../../models/plan-item.ts';
import { findSensitiveData, sensitiveDataWarning } from '../../lib/sensitive-data.ts';
import { auditMany } from '../audit/entries.ts';
import { checkSensitiveData } from '../sensitive-data.ts';
import { generateEvents } from '../events/generation.ts';
import { facilitiesInScope, type UnitRow } from '../organisation/hierarchy.ts';
import { ACTIVITY_MAX, assigneeChoices, CATEGORY_MAX, CHECKLIST_LABEL_MAX, LONG_TEXT_MAX, previewDates, REFERENCE_MAX, zoneOf } from '../plans/plan-items.ts';
import { type Schedule, ScheduleError } from '../plans/recurrence.ts';
import { describeSchedule, parseScheduleWords } from '../plans/schedule-words.ts';
import { detectFormat, letters, type ReadCell, readSpreadsheet, SpreadsheetError, type SpreadsheetFormat } from './spreadsheet.ts';

/** The import file's columns, in the template's order; `names` are the headers accepted for each. */
export const IMPORT_COLUMNS = [
  { key: 'facility', header: 'Facility', required: true, names: ['facility', 'facility code', 'facility name', 'site'], help: 'The facility’s code or its name, as on the Organisation page. Only facilities in your scope.' },
  { key: 'activity', header: 'Activity', required: true, names: ['activity', 'title'], help: `What must be done (at most ${ACTIVITY_MAX} characters).` },
  { key: 'description', header: 'Description', required: false, names: ['description'], help: 'Optional longer text.' },
  { key: 'additionalInformation', header: 'Additional information', required: false, names: ['additional information', 'additional info'], help: 'Optional; sent with reminders.' },
  { key: 'regulatoryReference', header: 'Regulatory reference', required: false, names: ['regulatory reference', 'reference', 'regulation'], help: 'Optional, e.g. the regulation’s section.' },
  { key: 'category', header: 'Category', required: false, names: ['category'], help: 'Optional.' },
  { key: 'assignee', header: 'Assignee', required: true, names: ['assignee', 'assignee email', 'assignee e-mail', 'email', 'e-mail'], help: 'The e-mail address of an active user whose scope covers the facility.' },
  { key: 'requirement', header: 'Requirement', required: false, names: ['requirement'], help: 'none, checklist, document or both (checklist and document). Blank: checklist when a checklist is given, else none.' },
  { key: 'checklist', header: 'Checklist', required: false, names: ['checklist', 'checklist items'], help: 'One checklist item per line (Alt+Enter in Excel); each is a required tick box.' },
  { key: 'schedule', header: 'Schedule', required: true, names: ['schedule', 'recurrence', 'frequency'], help: 'In words, e.g. Daily; Weekly on Monday; Every 2 weeks on Tue and Thu; Monthly on the 15th; Last day of each month; First Monday of the month; Last Friday; Quarterly; Semi-annually; Annually on 29 Feb; January, April, July and October on the 1st; Every 90 days after completion; Once; or an RRULE such as FREQ=MONTHLY;BYMONTHDAY=-1.' },
  { key: 'scheduleStart', header: 'Schedule start', required: true, names: ['schedule start', 'start', 'start date', 'first due date'], help: 'The date the rule counts from, as on the Plan Item form (YYYY-MM-DD): the first due date for relative schedules and "Once".' },
  { key: 'leadTime', header: 'Lead time', required: false, names: ['lead time', 'lead time days', 'lead time (days)'], help: 'Days before the due date the event is created (0 to 366). Blank: 30.' },
  { key: 'monthEnd', header: 'Month-end policy', required: false, names: ['month-end policy', 'month end policy', 'month end', 'month-end'], help: 'In a month without the chosen day: "last day" (use the month’s last day, the default) or "skip" (no event that month).' },
] as const;
type ColumnKey = (typeof IMPORT_COLUMNS)[number]['key'];

export const IMPORT_HOURS = 24;
const DEFAULT_LEAD_TIME = 30;
const normalHeader = (text: string) => text.toLowerCase().replace(/[_\s]+/g, ' ').replace(/[^a-z0-9 -]/g, '').trim();

export interface ImportRow {
  /** The spreadsheet's row number. */
  line: number;
  activity: string;
  facilityId: string | null;
  facilityName: string | null;
  assigneeName: string | null;
  scheduleWords: string | null;
  nextDates: string[];
  /** Every problem, each naming its cell ("C5: …"). */
  errors: string[];
  warnings: string[];
  duplicate: boolean;
  /** Free text that looks like health information (DESIGN.md §8.6): applying needs a confirmation. */
  sensitive: string[];
  /** Ready to create (only when the row has no errors). */
  item?: { facility: UnitRow; values: Record<string, unknown> };
}

export interface DryRun {
  id: string;
  fileName: string;
  createdAt: Date;
  expiresAt: Date;
  appliedAt: Date | null;
  rows: ImportRow[];
  errorCount: number;
  duplicateCount: number;
  sensitiveCount: number;
}

interface KeptImport {
  id: string;
  file_name: string;
  format: SpreadsheetFormat;
  content: Buffer;
  sha256: string;
  created_at: Date;
  expires_at: Date;
  applied_at: Date | null;
}

/** The column each field is in, or a 422 naming the required columns the header lacks. */
function columnsOf(header: ReadCell[]): Map<ColumnKey, number> {
  const found = new Map<ColumnKey, number>();
  header.forEach((cell, i) => {
    const name = normalHeader(String(cell.value ?? ''));
    const column = IMPORT_COLUMNS.find((c) => (c.names as readonly string[]).includes(name));
    if (column && !found.has(column.key)) found.set(column.key, i);
  });
  const missing = IMPORT_COLUMNS.filter((c) => c.required && !found.has(c.key)).map((c) => c.header);
  if (missing.length) {
    throw new SpreadsheetError(422, `The first row must name the columns; ${missing.length === 1 ? 'this column is' : 'these columns are'} missing: ${missing.join(', ')}. Download the template to see them all.`);
  }
  return found;
}

/**
 * Checks an upload and keeps it for the dry run and the apply: refuses (4xx, nothing saved) what
 * is not a spreadsheet, an empty one, one without the required columns, or one with too many rows.
 */
export async function keepUpload(actor: { id: string | null; clientId: string }, file: { originalname: string; buffer: Buffer } | undefined): Promise<string> {
  // A support visit acts as a stand-in with no user id, and a kept file belongs to its uploader.
  if (!actor.id) throw new HttpError(403, 'An import is kept for the person who uploads it: ask one of the client’s Directors to import the file. Nothing was saved.');
  if (!file) throw new ValidationError({ file: 'Choose an XLSX or CSV file to import.' }, 'Choose an XLSX or CSV file to import. Nothing was saved.');
  const fileName = file.originalname.replace(/[\u0000-\u001f\u007f]/g, '').slice(-255) || 'import';
  const format = await detectFormat(file.buffer, fileName);
  const grid = await readSpreadsheet(file.buffer, fileName, format);
  columnsOf(grid[0]!);
  // The client's expired files go as anyone of it uploads the next (nothing reads them any more).
  await sql('SELECT plan_item_imports_purge()');
  const [row] = await sql<{ id: string }>(
    `INSERT INTO plan_item_imports (client_id, uploaded_by, file_name, format, content, sha256, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(hours => $7)) RETURNING id`,
    [actor.clientId, actor.id, fileName, format, file.buffer, createHash('sha256').update(file.buffer).digest('hex'), IMPORT_HOURS],
  );
  return row!.id;
}

/** 404 unless the actor's own kept file is there (checked before the form, so others learn nothing). */
export async function requireKeptImport(id: string): Promise<void> {
  await keptImport(id);
}

async function keptImport(id: string): Promise<KeptImport> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new NotFoundError();
  const [row] = await sql<KeptImport>(
    `SELECT id, file_name, format, content, sha256, created_at, expires_at, applied_at FROM plan_item_imports
      WHERE client_id = app_current_client() AND id = $1 AND expires_at > now()`,
    [id],
  );
  if (!row) throw new HttpError(404, 'This import is not there any more: an uploaded file is kept for 24 hours, for the person who uploaded it. Upload the file again.');
  return row;
}

const text = (cell: ReadCell | undefined): string => {
  const v = cell?.value;
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return String(v).replace(/\r\n?/g, '\n').trim();
};

/** A date cell: a real date, or text YYYY-MM-DD (also D/M/YYYY is refused as ambiguous). */
function dateOf(cell: ReadCell | undefined): string | null {
  const v = cell?.value;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString().slice(0, 10);
  const t = text(cell);
  if (/^\d{4}-\d{2}-\d{2}$/.test(t) && isValidDate(t)) return t;
  const serial = /^\d{5}$/.test(t) ? Number(t) : NaN; // an unformatted Excel date
  if (serial > 36000 && serial < 120000) return new Date(Date.UTC(1899, 11, 30) + serial * 86_400_000).toISOString().slice(0, 10);
  return null;
}

const scheduleKey = (facilityId: string, activity: string, s: Schedule) =>
  `${facilityId}|${activity.trim().toLowerCase()}|${s.kind === 'calendar' ? s.rrule : `${s.every} ${s.unit}`}`;

/** Every row read into a Plan Item or its errors (nothing is written). */
async function readRows(client: Client, userId: string, kept: KeptImport): Promise<ImportRow[]> {
  const grid = await readSpreadsheet(kept.content, kept.file_name, kept.format);
  const columns = columnsOf(grid[0]!);
  const facilities = await facilitiesInScope();
  const byCode = new Map<string, UnitRow>();
  const byName = new Map<string, UnitRow[]>();
  for (const f of facilities) {
    if (f.code) byCode.set(f.code.toLowerCase(), f);
    const name = f.name.toLowerCase();
    byName.set(name, [...(byName.get(name) ?? []), f]);
  }
  const users = new Map((await sql<{ id: string; email: string; name: string; status: string }>(
    'SELECT id, lower(email) AS email, name, status FROM users WHERE client_id = app_current_client()',
  )).map((u) => [u.email, u]));
  const choices = new Map<string, Set<string>>();
  const assignable = async (f: UnitRow) => {
    if (!choices.has(f.id)) choices.set(f.id, new Set((await assigneeChoices(f)).map((u) => u.id)));
    return choices.get(f.id)!;
  };
  const existing = new Set<string>();
  if (facilities.length) {
    const rows = await PlanItem.findAll({ where: { facilityId: facilities.map((f) => f.id) }, attributes: ['facilityId', 'activity', 'scheduleKind', 'rrule', 'relativeEvery', 'relativeUnit'] });
    for (const i of rows) {
      existing.add(scheduleKey(i.facilityId, i.activity, i.scheduleKind === 'calendar' ? { kind: 'calendar', rrule: i.rrule!, start: '', monthEnd: 'last-day' } : { kind: 'relative', every: i.relativeEvery!, unit: i.relativeUnit!, start: '' }));
    }
  }
  const inFile = new Map<string, number>();
  const out: ImportRow[] = [];
  for (const cells of grid.slice(1)) {
    const line = Number(/\d+$/.exec(cells.find(Boolean)?.ref ?? '')?.[0] ?? out.length + 2);
    const cell = (key: ColumnKey): ReadCell => {
      const i = columns.get(key);
      return (i === undefined ? undefined : cells[i]) ?? { ref: `${key}${line}`, value: null, formula: false };
    };
    const ref = (key: ColumnKey) => {
      const i = columns.get(key);
      return i === undefined ? IMPORT_COLUMNS.find((c) => c.key === key)!.header : `${letters(i + 1)}${line}`;
    };
    const errors: string[] = [];
    const warnings: string[] = [];
    for (const c of cells) if (c?.formula) warnings.push(`${c.ref}: a formula; its last calculated value (${text(c) || 'empty'}) is used.`);
    const long = (key: ColumnKey, label: string, max: number): string | null => {
      const v = text(cell(key));
      if (v.length > max) errors.push(`${ref(key)}: ${label} must be at most ${max} characters.`);
      return v || null;
    };

    const activity = text(cell('activity'));
    if (!activity) errors.push(`${ref('activity')}: enter the activity.`);
    else if (activity.length > ACTIVITY_MAX) errors.push(`${ref('activity')}: the activity must be at most ${ACTIVITY_MAX} characters.`);
    const description = long('description', 'the description', LONG_TEXT_MAX);
    const additionalInformation = long('additionalInformation', 'the additional information', LONG_TEXT_MAX);
    const regulatoryReference = long('regulatoryReference', 'the regulatory reference', REFERENCE_MAX);
    const category = long('category', 'the category', CATEGORY_MAX);

    const facilityText = text(cell('facility'));
    let facility: UnitRow | undefined;
    if (!facilityText) errors.push(`${ref('facility')}: enter the facility's code or name.`);
    else {
      const named = byName.get(facilityText.toLowerCase()) ?? [];
      facility = byCode.get(facilityText.toLowerCase()) ?? (named.length === 1 ? named[0] : undefined);
      if (!facility) {
        errors.push(named.length > 1
          ? `${ref('facility')}: several facilities are called “${facilityText}”; use the facility's code.`
          : `${ref('facility')}: no facility in your scope has the code or name “${facilityText}”.`);
      }
    }

    const email = text(cell('assignee')).toLowerCase();
    const user = users.get(email);
    if (!email) errors.push(`${ref('assignee')}: enter the assignee's e-mail address.`);
    else if (!user || user.status !== 'active') errors.push(`${ref('assignee')}: no active user has the e-mail address “${email}”.`);
    else if (facility && !(await assignable(facility)).has(user.id)) errors.push(`${ref('assignee')}: ${user.name}'s scope does not cover ${facility.name}; choose someone who works there.`);

    const requirementText = text(cell('requirement')).toLowerCase();
    const checklistLines = text(cell('checklist')).split('\n').map((l) => l.replace(/^\s*(?:[-*•]|\d+[.)])\s*/, '').trim()).filter(Boolean);
    const requirement = ({ '': checklistLines.length ? 'checklist' : 'none', none: 'none', checklist: 'checklist', document: 'document', documents: 'document', both: 'both', 'checklist and document': 'both' } as Record<string, Requirement>)[requirementText];
    if (!requirement) errors.push(`${ref('requirement')}: the requirement must be none, checklist, document or both.`);
    if ((requirement === 'checklist' || requirement === 'both') && !checklistLines.length) errors.push(`${ref('checklist')}: a checklist requirement needs at least one checklist item (one per line).`);
    if (checklistLines.length > 50) errors.push(`${ref('checklist')}: at most 50 checklist items.`);
    if (checklistLines.some((l) => l.length > CHECKLIST_LABEL_MAX)) errors.push(`${ref('checklist')}: each checklist item must be at most ${CHECKLIST_LABEL_MAX} characters.`);
    const checklist: ChecklistItem[] = requirement === 'checklist' || requirement === 'both' ? checklistLines.map((label, i) => ({ key: `item-${i + 1}`, label, type: 'check', required: true })) : [];

    const leadText = text(cell('leadTime'));
    const leadTimeDays = leadText === '' ? DEFAULT_LEAD_TIME : /^\d{1,3}$/.test(leadText) ? Number(leadText) : NaN;
    if (!(leadTimeDays >= 0 && leadTimeDays <= 366)) errors.push(`${ref('leadTime')}: the lead time must be a whole number of days from 0 to 366.`);

    const monthEndText = text(cell('monthEnd')).toLowerCase().replace(/[-_]/g, ' ');
    const monthEnd = ({ '': 'last-day', 'last day': 'last-day', 'use the last day': 'last-day', last: 'last-day', skip: 'skip', 'skip the month': 'skip' } as Record<string, MonthEndPolicy>)[monthEndText];
    if (!monthEnd) errors.push(`${ref('monthEnd')}: the month-end policy must be "last day" or "skip".`);

    const startCell = cell('scheduleStart');
    const start = dateOf(startCell);
    const words = text(cell('schedule'));
    if (!text(startCell) && !/^(?:once|one time)\s+on\s+\d{4}/i.test(words)) errors.push(`${ref('scheduleStart')}: enter the schedule start (YYYY-MM-DD), the date the rule counts from.`);
    else if (text(startCell) && !start) errors.push(`${ref('scheduleStart')}: “${text(startCell)}” is not a date; write it as YYYY-MM-DD.`);
    else if (start && (start < '2000-01-01' || start > '2199-12-31')) errors.push(`${ref('scheduleStart')}: the schedule start must lie between 2000-01-01 and 2199-12-31.`);

    let schedule: Schedule | undefined;
    let scheduleWords: string | null = null;
    let nextDates: string[] = [];
    if (!words) errors.push(`${ref('schedule')}: enter the schedule, e.g. "Monthly on the 15th".`);
    else if (start || !text(startCell)) {
      const parsed = parseScheduleWords(words, start ?? '', monthEnd ?? 'last-day');
      if (!parsed.ok) errors.push(`${ref('schedule')}: ${parsed.error}`);
      else {
        schedule = parsed.schedule;
        try {
          scheduleWords = describeSchedule(schedule);
          nextDates = previewDates(schedule, schedule.start).slice(0, 3);
        } catch (error) {
          if (!(error instanceof ScheduleError)) throw error;
          errors.push(`${ref('schedule')}: ${error.message}`);
          schedule = undefined;
        }
      }
    }
    if (schedule && facility && compareDates(schedule.start, todayIn(zoneOf(facility, client))) < 0) {
      warnings.push(`${ref('scheduleStart')}: ${schedule.start} is in the past; the events from then on will be created as overdue.`);
    }

    const texts = [activity, description, additionalInformation, regulatoryReference, category, ...checklistLines];
    const sensitive = findSensitiveData(...texts).length ? texts.filter((t): t is string => Boolean(t)) : [];
    if (sensitive.length) warnings.push(sensitiveDataWarning(findSensitiveData(...texts)));

    let duplicate = false;
    if (schedule && facility && activity) {
      const key = scheduleKey(facility.id, activity, schedule);
      if (existing.has(key)) {
        duplicate = true;
        warnings.push(`Already in ${facility.name}'s plan (same activity and schedule): this row will be skipped, not doubled.`);
      } else if (inFile.has(key)) {
        duplicate = true;
        warnings.push(`The same as row ${inFile.get(key)} (facility, activity and schedule): this row will be skipped.`);
      } else inFile.set(key, line);
    }
    const row: ImportRow = { line, activity, facilityId: facility?.id ?? null, facilityName: facility?.name ?? null, assigneeName: user?.name ?? null, scheduleWords, nextDates, errors, warnings, duplicate, sensitive };
    if (!errors.length && facility && schedule && user) {
      row.item = {
        facility,
        values: {
          clientId: client.id, facilityId: facility.id, activity, description, additionalInformation, regulatoryReference, category,
          assigneeId: user.id, requirement, checklist, scheduleKind: schedule.kind,
          rrule: schedule.kind === 'calendar' ? schedule.rrule : null,
          relativeEvery: schedule.kind === 'relative' ? schedule.every : null,
          relativeUnit: schedule.kind === 'relative' ? schedule.unit : null,
          scheduleStart: schedule.start,
          monthEndPolicy: schedule.kind === 'calendar' ? schedule.monthEnd : 'last-day',
          leadTimeDays, createdBy: userId, updatedBy: userId,
        },
      };
    }
    out.push(row);
  }
  return out;
}

function summary(kept: KeptImport, rows: ImportRow[]): DryRun {
  return {
    id: kept.id, fileName: kept.file_name, createdAt: kept.created_at, expiresAt: kept.expires_at, appliedAt: kept.applied_at, rows,
    errorCount: rows.filter((r) => r.errors.length).length,
    duplicateCount: rows.filter((r) => r.duplicate).length,
    sensitiveCount: rows.filter((r) => r.sensitive.length).length,
  };
}

/** The dry run of a kept file: every row as it would be imported, and its problems. Writes nothing. */
export async function dryRun(client: Client, userId: string, id: string): Promise<DryRun> {
  const kept = await keptImport(id);
  return summary(kept, await readRows(client, userId, kept));
}

export class ImportRefused extends HttpError {
  constructor(readonly result: DryRun, message?: string) {
    super(422, message ?? `Nothing was imported: ${result.errorCount} row${result.errorCount === 1 ? ' has' : 's have'} errors. Correct the file and upload it again.`);
  }
}

let generationRuns: Promise<unknown> = Promise.resolve();
/** Resolves once the event generation started by the latest import has finished (tests, scripts). */
export const importGenerationSettled = (): Promise<unknown> => generationRuns;

/**
 * Applies a kept file, all rows or none: it is read and checked again (a facility, user or plan
 * may have changed since the dry run), then every row that is not a duplicate is created in the
 * caller's unit of work, with one audit entry per item and one for the import. The file's events
 * are generated by a generation run for the client once the unit of work has committed.
 */
export async function applyImport(client: Client, userId: string, id: string, confirmSensitive = false): Promise<{ created: number; skipped: number; facilities: UnitRow[]; result: DryRun }> {
  const kept = await keptImport(id);
  // Two applies of one file at once: the second waits here, then finds it applied.
  await sql('SELECT id FROM plan_item_imports WHERE client_id = app_current_client() AND id = $1 FOR UPDATE', [kept.id]);
  const [again] = await sql<{ applied_at: Date | null }>('SELECT applied_at FROM plan_item_imports WHERE client_id = app_current_client() AND id = $1', [kept.id]);
  if (again?.applied_at) throw new HttpError(409, `This file was already imported on ${again.applied_at.toISOString().slice(0, 16).replace('T', ' ')} UTC; nothing was imported again.`);
  const rows = await readRows(client, userId, kept);
  const result = summary(kept, rows);
  if (result.errorCount) throw new ImportRefused(result);
  if (result.sensitiveCount && !confirmSensitive) {
    throw new ImportRefused(result, `Nothing was imported: ${result.sensitiveCount} row${result.sensitiveCount === 1 ? ' looks' : 's look'} as if it may contain health information. Remove it from the file, or tick the box to confirm it is not health data.`);
  }
  // Counted for the admin report like a form's confirmed warning (never the text).
  if (result.sensitiveCount) await checkSensitiveData('plan-item-import', true, ...rows.flatMap((r) => r.sensitive));
  const toCreate = rows.filter((r) => !r.duplicate && r.item);
  const created: PlanItem[] = [];
  for (let i = 0; i < toCreate.length; i += 500) {
    created.push(...(await PlanItem.bulkCreate(toCreate.slice(i, i + 500).map((r) => r.item!.values), { returning: true })));
  }
  const entries = created.map((item) => ({
    action: 'plan_item.import', entityType: 'plan_item', entityId: item.id,
    changes: {
      import_id: kept.id, facility_id: item.facilityId, activity: item.activity, assignee_id: item.assigneeId, requirement: item.requirement,
      schedule_kind: item.scheduleKind, rrule: item.rrule, relative_every: item.relativeEvery, relative_unit: item.relativeUnit,
      schedule_start: item.scheduleStart, month_end_policy: item.monthEndPolicy, lead_time_days: item.leadTimeDays,
    },
  }));
  for (let i = 0; i < entries.length; i += 1000) await auditMany(entries.slice(i, i + 1000));
  const skipped = rows.length - created.length;
  await auditMany([{ action: 'plan_items.import', entityType: 'plan_item_import', entityId: kept.id, changes: { file_name: kept.file_name, sha256: kept.sha256, rows: rows.length, created: created.length, skipped_duplicates: skipped } }]);
  await sql('UPDATE plan_item_imports SET applied_at = now() WHERE client_id = app_current_client() AND id = $1', [kept.id]);
  const { sequelize } = currentUnit();
  if (created.length) {
    afterCommit(() => {
      generationRuns = generationRuns.then(() => generateEvents(sequelize, { clientIds: [client.id] })).catch((error) => {
        logger.error({ err: loggableError(error) }, 'event generation after a Plan Item import failed; the next generation pass retries');
      });
    });
  }
  const facilities = [...new Map(toCreate.map((r) => [r.item!.facility.id, r.item!.facility])).values()];
  return { created: created.length, skipped, facilities, result: { ...result, appliedAt: new Date() } };
}
