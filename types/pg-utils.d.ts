// pg's own conversion of a bound value to its wire text (arrays, dates, buffers, JSON), which a
// query read through lib/portal-reader.ts needs as pg's queries and pg-cursor do.
declare module 'pg/lib/utils.js' {
  export function prepareValue(value: unknown): string | Buffer | null;
}
