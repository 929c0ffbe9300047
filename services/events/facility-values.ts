// Who appears in a facility's events or documents (the filter forms' choices), without a pass
// over every row: a large client has a million events but a handful of assignees per facility.

/**
 * SQL for the distinct non-null values of `column` among `table`'s rows in the visible facilities
 * (those `facility` — an SQL condition on org_units `f` — leaves), one row each as `value`. It
 * skips through an index leading with (client_id, facility_id, column): per facility, the next
 * value after the last one found, so the work is one probe per value per facility. Row-level
 * security applies to every probe as to any read.
 */
export function distinctInFacilitiesSql(table: string, column: string, facility = 'true'): string {
  const next = (facilityId: string, after: string) =>
    `(SELECT t.${column} FROM ${table} t
       WHERE t.client_id = app_current_client() AND t.facility_id = ${facilityId} AND t.${column} > ${after}
       ORDER BY t.${column} LIMIT 1)`;
  const first = (facilityId: string) =>
    `(SELECT t.${column} FROM ${table} t
       WHERE t.client_id = app_current_client() AND t.facility_id = ${facilityId} AND t.${column} IS NOT NULL
       ORDER BY t.${column} LIMIT 1)`;
  return `WITH RECURSIVE found (facility_id, value) AS (
      SELECT f.id, ${first('f.id')} FROM org_units f WHERE f.client_id = app_current_client() AND f.kind = 'facility' AND ${facility}
      UNION ALL
      SELECT found.facility_id, ${next('found.facility_id', 'found.value')} FROM found WHERE found.value IS NOT NULL)
    SELECT DISTINCT value FROM found WHERE value IS NOT NULL`;
}
