// A client for the import tests: a Director whose scope is the North region (two facilities), a
// facility outside it, assignees inside and outside each facility, and helpers to upload files.
import { writeXlsx } from '../../services/exports/xlsx.ts';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { createUnit, grantScope } from '../support/hierarchy-factories.ts';
import { type Agent, csrfToken, signedInAgent, testApp } from '../support/http.ts';

export const HEADER = ['Facility', 'Activity', 'Description', 'Additional information', 'Regulatory reference', 'Category', 'Assignee', 'Requirement', 'Checklist', 'Schedule', 'Schedule start', 'Lead time', 'Month-end policy'];

export async function importWorld() {
  const client = await createClient({ name: 'Acme Water', timeZone: 'Europe/London' });
  const region = await createUnit(client, { kind: 'region', name: 'North' });
  const plant = await createUnit(client, { name: 'Plant One', code: 'P1', parent: region });
  const east = await createUnit(client, { name: 'Plant East', code: 'PE', parent: region });
  const outside = await createUnit(client, { name: 'Far Away Works', code: 'FAR' });
  const director = await createUser(client, { name: 'Dana Director', rank: 'director', email: 'dana@acme.test' });
  await grantScope(director, region);
  const worker = await createUser(client, { name: 'Walt Worker', rank: 'associate', email: 'walt@acme.test' });
  await grantScope(worker, plant);
  const farWorker = await createUser(client, { name: 'Fay Far', rank: 'associate', email: 'fay@acme.test' });
  await grantScope(farWorker, outside);
  const agent = await signedInAgent(testApp(), director.email, director.password);
  return { client, region, plant, east, outside, director, worker, farWorker, agent };
}
export type ImportWorld = Awaited<ReturnType<typeof importWorld>>;

/** Five rows in five schedule styles, all valid for the world above. */
export function fiveRows(): string[][] {
  return [
    ['P1', 'Daily chlorine check', '', '', '', 'Water', 'walt@acme.test', '', '', 'Daily', '2031-01-06', '0', ''],
    ['Plant One', 'Pump inspection', 'Both pumps', '', 'Reg 12', 'Plant', 'walt@acme.test', 'checklist', 'Pump A\nPump B', 'Every 2 weeks on Tue and Thu', '2031-01-07', '14', ''],
    ['P1', 'Month-end meter reading', '', '', '', '', 'dana@acme.test', 'none', '', 'Last day of each month', '2031-01-31', '', 'last day'],
    ['PE', 'Safety meeting', '', '', '', '', 'dana@acme.test', '', '', 'First Monday of the month', '2031-01-06', '', ''],
    ['P1', 'Filter replacement', '', '', '', '', 'walt@acme.test', 'document', '', 'Every 90 days after completion', '2031-02-01', '', ''],
  ];
}

const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
export const csvOf = (rows: string[][], header = HEADER): string => [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
export const xlsxOf = (rows: string[][], header = HEADER): Promise<Buffer> =>
  writeXlsx({ sheetName: 'Plan Items', columns: header.map((h) => ({ header: h })), rows });

/** Uploads a file through the real form (CSRF token from the upload page). */
export async function upload(agent: Agent, content: Buffer | string, fileName: string) {
  const token = await csrfToken(agent, '/plan-imports/new');
  return agent.post('/plan-imports').field('_csrf', token).attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'), fileName);
}

/** Uploads and returns the dry run page's path. */
export async function uploaded(agent: Agent, content: Buffer | string, fileName = 'plan.csv'): Promise<string> {
  const res = await upload(agent, content, fileName);
  if (res.status !== 303) throw new Error(`upload answered ${res.status}: ${res.text.slice(0, 500)}`);
  return res.headers.location as string;
}

export async function apply(agent: Agent, dryRunPath: string) {
  const token = await csrfToken(agent, dryRunPath);
  return agent.post(`${dryRunPath}/apply`).type('form').send({ _csrf: token });
}

export const counts = async () => (await ownerQuery<{ items: number; events: number; imports: number; audit: number }>(
  `SELECT (SELECT count(*)::int FROM plan_items) AS items, (SELECT count(*)::int FROM events) AS events,
          (SELECT count(*)::int FROM plan_item_imports) AS imports,
          (SELECT count(*)::int FROM audit_log WHERE action LIKE 'plan_item%') AS audit`,
))[0];
