// CSV files for downloads (RFC 4180): CRLF line ends, fields quoted when they hold a quote, a comma
// or a line break; UTF-8 with a byte-order mark so spreadsheet programs read accents right; and a
// text cell a spreadsheet would run as a formula (= + - @ tab CR) gets a leading apostrophe.
const FORMULA_START = /^[=+\-@\t\r]/;

export type CsvValue = string | number | boolean | Date | null | undefined;

export function csvCell(value: CsvValue): string {
  let text = value == null ? '' : value instanceof Date ? value.toISOString() : String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(cells: CsvValue[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** The whole file: the header line, then every row, gathered in chunks rather than one string. */
export async function writeCsv(header: string[], rows: AsyncIterable<CsvValue[]> | Iterable<CsvValue[]>): Promise<Buffer> {
  const chunks: Buffer[] = [Buffer.from(`\uFEFF${csvLine(header)}`, 'utf8')];
  let pending = '';
  for await (const row of rows) {
    pending += csvLine(row);
    if (pending.length >= 64 * 1024) {
      chunks.push(Buffer.from(pending, 'utf8'));
      pending = '';
    }
  }
  chunks.push(Buffer.from(pending, 'utf8'));
  return Buffer.concat(chunks);
}
