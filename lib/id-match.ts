// A column among a list of ids, written so that PostgreSQL can reuse a prepared statement's plan.
// It estimates an array parameter at ten elements, so the generic plan of `= ANY ($n)` always
// looks costlier than a custom one, and a statement over one id (the most common case: one
// facility) would be planned again at every execution. One id is therefore compared as one value.

/** `column` among `ids`, where `placeholder` (such as `$1`) binds idParam(ids). */
export const idMatch = (column: string, ids: readonly string[], placeholder: string): string =>
  ids.length === 1 ? `${column} = ${placeholder}::uuid` : `${column} = ANY (${placeholder}::uuid[])`;

/** What idMatch's placeholder binds to. */
export const idParam = (ids: readonly string[]): string | readonly string[] => (ids.length === 1 ? ids[0]! : ids);
