// The import template: the columns with one example row per schedule style, and a second sheet
// explaining each column. Written by the export XLSX writer.
import { PassThrough } from 'node:stream';
import { addDays, todayIn } from '../../lib/calendar-dates.ts';
import type { Client } from '../../models/index.ts';
import { streamXlsx } from '../exports/xlsx.ts';
import { IMPORT_COLUMNS } from './plan-import.ts';

const STYLES: Array<[string, string, string]> = [
  ['Daily', 'Daily temperature log', ''],
  ['Weekly on Monday', 'Weekly site walk', ''],
  ['Every 2 weeks on Tue and Thu', 'Pump station check', ''],
  ['Monthly on the 15th', 'Monthly sampling', ''],
  ['Last day of each month', 'Month-end meter reading', ''],
  ['First Monday of the month', 'Safety meeting', ''],
  ['Last Friday', 'Generator test run', ''],
  ['Quarterly', 'Quarterly report', ''],
  ['Semi-annually', 'Backflow preventer test', ''],
  ['Annually on 29 Feb', 'Leap-day records review', 'skip'],
  ['January, April, July and October on the 1st', 'Quarterly permit fee', ''],
  ['Every 90 days after completion', 'Filter replacement', ''],
  ['Once', 'Commissioning inspection', ''],
  ['FREQ=MONTHLY;BYDAY=2WE', 'Second-Wednesday board check', ''],
];

/** The template workbook (example rows start from a date after today, so none is overdue). */
export async function importTemplate(client: Client, example: { facility: string; assignee: string }): Promise<Buffer> {
  const start = addDays(todayIn(client.timeZone), 7);
  const rows = STYLES.map(([schedule, activity, monthEnd]) => [
    example.facility, activity, '', '', '', 'Operations', example.assignee,
    schedule === 'Monthly on the 15th' ? 'checklist' : '', schedule === 'Monthly on the 15th' ? 'Sample taken\nLab form sent' : '',
    schedule, schedule.startsWith('Annually on 29 Feb') ? '2028-02-29' : start, '30', monthEnd || 'last day',
  ]);
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await streamXlsx(out,
    { sheetName: 'Plan Items', columns: IMPORT_COLUMNS.map((c) => ({ header: c.header, width: c.key === 'schedule' ? 40 : 22, ...(c.key === 'scheduleStart' ? { type: 'date' as const } : {}) })), rows },
    { sheetName: 'Columns', columns: [{ header: 'Column', width: 24 }, { header: 'Required', width: 10 }, { header: 'What to enter', width: 100 }], rows: IMPORT_COLUMNS.map((c) => [c.header, c.required ? 'yes' : 'no', c.help]) });
  out.end();
  return Buffer.concat(chunks);
}
