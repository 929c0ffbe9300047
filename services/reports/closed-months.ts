// Counting closed events over a period of due dates without reading every one of them: the months
// the period covers whole come from closed_event_months (per facility, assignee and month, kept
// equal to the events by the triggers of migration 0014), its partial months at either end from
// the closed events themselves, index-only through events_closed_by_facility. A period is per
// facility (each in its zone's today), so these are SQL pieces for a LATERAL on the facility.

/**
 * The parts of the period of due dates from `first` to `last` (SQL date expressions, both
 * inclusive), as one row for a LATERAL join: `whole_from` ≤ month < `whole_until` are the whole
 * months; due dates in [`first_due`, `start_until`) and [`end_from`, `after_due`) the partial ones
 * (one range when the period has no whole month; empty when it starts or ends on a month's edge).
 */
export function periodPartsSql(first: string, last: string): string {
  return `SELECT w.first_due, w.after_due, w.whole_from, w.whole_until,
                 least(w.whole_from, w.after_due) AS start_until, greatest(w.whole_until, least(w.whole_from, w.after_due)) AS end_from
            FROM (SELECT ${first} AS first_due, ${last} + 1 AS after_due,
                         (date_trunc('month', ${first} - 1) + interval '1 month')::date AS whole_from,
                         date_trunc('month', ${last} + 1)::date AS whole_until) w`;
}

/**
 * Facility `f`'s closed events due in the partial months of period `p` (periodPartsSql's row), as
 * rows of the columns the definitions read: status, due_date, completed_on, assignee_id. The
 * status is the constant the WHERE asks for, so the scan stays index-only.
 */
export function partialMonthsClosedSql(f: string, p: string, where = 'true'): string {
  const range = (from: string, until: string) =>
    `SELECT 'closed'::text AS status, e.due_date, e.completed_on, e.assignee_id FROM events e
      WHERE e.client_id = app_current_client() AND e.facility_id = ${f}.id AND e.status = 'closed'
        AND e.due_date >= ${from} AND e.due_date < ${until} AND ${where}`;
  return `${range(`${p}.first_due`, `${p}.start_until`)} UNION ALL ${range(`${p}.end_from`, `${p}.after_due`)}`;
}

/** Facility `f`'s rows of closed_event_months (alias `m`) for the whole months of period `p`. */
export function wholeMonthsSql(f: string, p: string, where = 'true'): string {
  return `SELECT m.* FROM closed_event_months m
           WHERE m.client_id = app_current_client() AND m.facility_id = ${f}.id
             AND m.month >= ${p}.whole_from AND m.month < ${p}.whole_until AND ${where}`;
}
