// npm run notifications:preview -- --date YYYY-MM-DD
// Prints what each recipient would get on that date (recipient, kind, event, facility, due date),
// without sending or recording anything: for checking a new ladder or reminder settings.
import { loadConfig } from '../config/index.ts';
import { isValidDate } from '../lib/calendar-dates.ts';
import { setLogLevel } from '../lib/logger.ts';
import { inUnitOfWork } from '../lib/unit-of-work.ts';
import { Client, initModels, openDatabase } from '../models/index.ts';
import { prepareDatabase } from '../services/database/bootstrap.ts';
import { allClientIds } from '../services/events/generation.ts';
import { previewNotices } from '../services/notifications/planner.ts';
import { runScript, say } from './cli.ts';

const KIND_WORDS: Record<string, string> = {
  assignment: 'assignment', reminder: 'reminder', due_today: 'due today', overdue: 'overdue', escalation: 'escalation', weekly_summary: 'weekly summary',
};

runScript(async () => {
  const at = process.argv.indexOf('--date');
  const date = at >= 0 ? process.argv[at + 1] : undefined;
  if (!date || !isValidDate(date)) throw new Error('Give the date to preview: npm run notifications:preview -- --date YYYY-MM-DD');
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const prepared = await prepareDatabase(config, () => undefined);
  const db = openDatabase(prepared.urls, 2);
  initModels(db.sequelize);
  try {
    let total = 0;
    for (const clientId of await allClientIds(db.sequelize)) {
      const { client, rows } = await inUnitOfWork(db.sequelize, { actorKind: 'system', clientId }, async () => {
        const found = await Client.findByPk(clientId);
        return { client: found, rows: found ? await previewNotices(found, date) : [] };
      });
      if (!client || rows.length === 0) continue;
      say(`${client.name}: ${rows.length} notice(s) on ${date}`);
      for (const r of rows) {
        const kind = `${KIND_WORDS[r.kind] ?? r.kind}${r.level ? ` (level ${r.level})` : ''}`;
        say(`  ${r.recipient} <${r.email}> · ${kind} · ${r.activity ?? 'weekly summary'}${r.facility ? ` · ${r.facility}` : ''}${r.dueDate ? ` · due ${r.dueDate}` : ''} · notice of ${r.dueFor}`);
      }
      total += rows.length;
    }
    say(total ? `${total} notice(s) in all; nothing was sent or recorded.` : `Nothing would go out on ${date}.`);
  } finally {
    await db.close();
    await prepared.stop();
  }
});
