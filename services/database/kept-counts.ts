// SQL for tables of counts that statement triggers keep equal to counting the rows they are
// about (migrations 0014 and 0015): each statement's contributions are summed per key and added
// in key order (so concurrent writers lock rows in the same order); rows whose counts do not
// change are not touched. A count that would go wrong fails the statement instead of drifting.
// These are spliced into the migrations' trigger functions: changing them changes what those
// migrations build, so a change needs a migration that replaces the functions and refills.

export interface KeptCounts {
  table: string;
  keys: readonly string[];
  counts: readonly string[];
  /** A condition every row of the table meets (counts not below zero, and the like). */
  consistent: string;
}

/**
 * PL/pgSQL adding `contributions` (a SELECT of the keys, then the counts, in the table's order; a
 * row's counts are signed: +1 added, −1 taken away) to the table, then refusing the statement when
 * a count went wrong (a CHECK constraint cannot say it: INSERT … ON CONFLICT checks the proposed
 * row, the change itself, first). Needs the variable `broken` (countingBlock declares it).
 */
export function addCountsSql(t: KeptCounts, contributions: string): string {
  const keys = t.keys.join(', ');
  return `WITH contributions (${keys}, ${t.counts.join(', ')}) AS (${contributions}),
    added AS (
      INSERT INTO ${t.table} AS m (${keys}, ${t.counts.join(', ')})
      SELECT ${keys}, ${t.counts.map((c) => `sum(${c})::int`).join(', ')}
        FROM contributions
       GROUP BY ${keys}
      HAVING ${t.counts.map((c) => `sum(${c}) <> 0`).join(' OR ')}
       ORDER BY ${keys}
      ON CONFLICT (${keys}) DO UPDATE SET ${t.counts.map((c) => `${c} = m.${c} + excluded.${c}`).join(', ')}
      RETURNING ${t.counts.join(', ')})
    SELECT count(*) INTO broken FROM added WHERE NOT (${t.consistent});
    IF broken > 0 THEN
      RAISE EXCEPTION '${t.table}: % row(s) would not equal the rows they count', broken USING ERRCODE = 'check_violation';
    END IF;`;
}

/** A PL/pgSQL block (a function's body, or a DO block's) declaring what addCountsSql needs. */
export const countingBlock = (body: string): string => `DECLARE broken integer; BEGIN ${body} END`;

/** `t` emptied, then filled again by `contributions` (SELECTs, as addCountsSql takes them). */
export const refillSql = (t: KeptCounts, ...contributions: string[]): string =>
  `DELETE FROM ${t.table} WHERE true; ${contributions.map((c) => addCountsSql(t, c)).join('\n')}`;

/** The grants and row-level security of a table of counts per facility: read and written (by
 *  the triggers, in the writer's rights) as the facility's events are; only counts change. */
export function facilityCountsSecurity(t: KeptCounts, appRole: string): string {
  return `
    ALTER TABLE ${t.table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE ${t.table} FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_guard ON ${t.table} AS RESTRICTIVE
      USING (client_id = (SELECT app_current_client()))
      WITH CHECK (client_id = (SELECT app_write_client()));
    CREATE POLICY tenant_write_guard ON ${t.table} AS RESTRICTIVE FOR DELETE USING (client_id = (SELECT app_write_client()));
    CREATE POLICY facility_scope ON ${t.table}
      USING ((SELECT app_scope_all()) OR facility_id = ANY ((SELECT app_scope_units())::uuid[]))
      WITH CHECK ((SELECT app_scope_all()) OR facility_id = ANY ((SELECT app_scope_units())::uuid[]));
    GRANT SELECT, INSERT ON ${t.table} TO ${appRole};
    GRANT UPDATE (${t.counts.join(', ')}) ON ${t.table} TO ${appRole};`;
}
