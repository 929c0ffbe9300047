// npm run deps:audit   runs `npm audit --json` against the registry's audit endpoint and keeps the
//                      report (with the lockfile's hash and the time taken) for the compliance
//                      report's dependency advisories. Exits 1, storing nothing, when unreachable.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../config/index.ts';
import { inUnitOfWork, sql } from '../lib/unit-of-work.ts';
import { setLogLevel } from '../lib/logger.ts';
import { initModels, openDatabase } from '../models/index.ts';
import { prepareDatabase } from '../services/database/bootstrap.ts';
import { runScript, say } from './cli.ts';

/** npm audit's JSON, or why there is none (it exits non-zero when it finds advisories). */
function npmAudit(cwd: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile('npm', ['audit', '--json'], { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (_error, stdout) => {
      let report: Record<string, unknown>;
      try {
        report = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        return reject(new Error('npm audit gave no report: is the registry reachable? Nothing was stored.'));
      }
      if (report.error) return reject(new Error(`npm audit could not reach the registry's audit endpoint: ${JSON.stringify(report.error).slice(0, 300)}. Nothing was stored.`));
      resolve(report);
    });
  });
}

runScript(async () => {
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const report = await npmAudit(config.projectRoot);
  const lockfile = createHash('sha256').update(await fs.readFile(path.join(config.projectRoot, 'package-lock.json'))).digest('hex');
  const prepared = await prepareDatabase(config, say);
  const db = openDatabase(prepared.urls, 2);
  initModels(db.sequelize);
  try {
    await inUnitOfWork(db.sequelize, { actorKind: 'system', requestId: 'cli:deps:audit' }, () =>
      sql('INSERT INTO dependency_audits (lockfile_sha256, report) VALUES ($1, $2::jsonb)', [lockfile, JSON.stringify(report)]));
    const counts = (report.metadata as { vulnerabilities?: Record<string, number> } | undefined)?.vulnerabilities ?? {};
    say(`Stored the npm audit report: ${Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(', ') || 'no counts'}.`);
  } finally {
    await db.close();
    await prepared.stop();
  }
});
