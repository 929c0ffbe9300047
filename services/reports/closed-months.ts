// Counting closed events over a period of due dates without reading every one of them: the months
// the period covers whole come from closed_event_months (per facility and month; per assignee as
// well in closed_event_assignee_months), kept equal to the events by the triggers of migration
// 0014; its partial months at either end from the closed events themselves, index-only through
// events_closed_by_facility. A partial month is read on its shorter side: the days of it in the
// period, or (when the period runs to the month's end or from its start) the whole month from the
// counts less the days outside the period. A period is per facility (each in its zone's today), so
// these are SQL pieces for a LATERAL on the facility: the counts are the months' rows', plus the
// added days' events', minus the taken-away days' events'.

/**
 * The parts of the period of due dates from `first` to `last` (SQL date expressions, both
 * inclusive; an open end is ±infinity), as one row for a LATERAL join: the months from
 * `months_from` to `months_until` (exclusive) read from the counts; the days in [`add_start`,
 * `add_start_until`) and [`add_end`, `add_end_until`) added from the events; the days in
 * [`sub_start`, `sub_start_until`) and [`sub_end`, `sub_end_until`) taken away (empty ranges
 * where nothing is). Also `first_due` and `after_due`, the period's bounds.
 */
export function periodPartsSql(firstDue: string, lastDue: string): string {
  const first = `(${firstDue})`;
  const last = `(${lastDue})`;
  return `SELECT w.first_due, w.after_due,
                 CASE WHEN b.start_by_month THEN w.start_month ELSE w.whole_from END AS months_from,
                 CASE WHEN b.end_by_month THEN w.end_next ELSE w.whole_until END AS months_until,
                 w.first_due AS add_start, CASE WHEN b.start_by_month THEN w.first_due ELSE w.start_until END AS add_start_until,
                 CASE WHEN b.end_by_month THEN w.after_due ELSE w.end_from END AS add_end, w.after_due AS add_end_until,
                 w.start_month AS sub_start, CASE WHEN b.start_by_month THEN w.first_due ELSE w.start_month END AS sub_start_until,
                 w.after_due AS sub_end, CASE WHEN b.end_by_month THEN w.end_next ELSE w.after_due END AS sub_end_until
            FROM (SELECT v.*, least(v.whole_from, v.after_due) AS start_until, greatest(v.whole_until, least(v.whole_from, v.after_due)) AS end_from,
                         (greatest(v.whole_until, least(v.whole_from, v.after_due))::timestamp + interval '1 month')::date AS end_next
                    FROM (SELECT ${first} AS first_due, ${last} + 1 AS after_due, date_trunc('month', ${first}::timestamp)::date AS start_month,
                                 (date_trunc('month', (${first} - 1)::timestamp) + interval '1 month')::date AS whole_from,
                                 date_trunc('month', (${last} + 1)::timestamp)::date AS whole_until) v) w
           CROSS JOIN LATERAL (SELECT
                 -- The start's partial month runs to its end, and fewer of its days are outside the period.
                 CASE WHEN isfinite(w.first_due) AND w.start_until = w.whole_from AND w.start_until > w.first_due
                      THEN w.first_due - w.start_month < w.whole_from - w.first_due ELSE false END AS start_by_month,
                 -- The end's partial month runs from its start, and fewer of its days are after the period.
                 CASE WHEN isfinite(w.after_due) AND w.end_from = w.whole_until AND w.after_due > w.end_from
                      THEN w.end_next - w.after_due < w.after_due - w.end_from ELSE false END AS end_by_month) b`;
}

/**
 * Facility `f`'s closed events due in the days period `p` (periodPartsSql's row) adds (`side`
 * 'add') or takes away ('sub'), as rows of the columns the definitions read: status, due_date,
 * completed_on, assignee_id. The status is the constant the WHERE asks for, so the scan stays
 * index-only.
 */
export function partialDaysClosedSql(f: string, p: string, side: 'add' | 'sub', where = 'true'): string {
  const range = (from: string, until: string) =>
    `SELECT 'closed'::text AS status, e.due_date, e.completed_on, e.assignee_id FROM events e
      WHERE e.client_id = app_current_client() AND e.facility_id = ${f}.id AND e.status = 'closed'
        AND e.due_date >= ${from} AND e.due_date < ${until} AND ${where}`;
  return `${range(`${p}.${side}_start`, `${p}.${side}_start_until`)} UNION ALL ${range(`${p}.${side}_end`, `${p}.${side}_end_until`)}`;
}

/** Facility `f`'s rows of `table` (closed_event_months or closed_event_assignee_months, alias `m`)
 *  for the months period `p` reads from the counts. */
export function monthsSql(table: 'closed_event_months' | 'closed_event_assignee_months', f: string, p: string, where = 'true'): string {
  return `SELECT m.* FROM ${table} m
           WHERE m.client_id = app_current_client() AND m.facility_id = ${f}.id
             AND m.month >= ${p}.months_from AND m.month < ${p}.months_until AND ${where}`;
}
