// npm run restore -- --to <empty DATA_DIR> [--time <timestamp> | --latest] [--repo daily|monthly]
// Restores the embedded cluster from a repository (BACKUP_REPO_PATH / BACKUP_ARCHIVE_REPO_PATH)
// into a new DATA_DIR holding only the escrowed secrets.json, and replays the archived WAL to the
// time given or to its end. Then: DATA_DIR=<that directory> npm start (docs/DISASTER-RECOVERY.md).
import { loadConfig } from '../config/index.ts';
import { INSTALL_HINT, findPgbackrest } from '../services/backups/pgbackrest.ts';
import { restoreCluster } from '../services/backups/restore.ts';
import { runScript, say } from './cli.ts';

const USAGE = 'usage: npm run restore -- --to <empty-data-dir> [--time <timestamp>|--latest] [--repo daily|monthly] [--port <port>]';

runScript(async () => {
  const options = parseArgs(process.argv.slice(2));
  const config = loadConfig();
  const executable = await findPgbackrest(config);
  if (!executable) throw new Error(`pgBackRest is not installed. ${INSTALL_HINT}`);
  await restoreCluster(config, { ...options, port: options.port ?? config.embeddedPort, executable, onProgress: say });
  say(`Next: DATA_DIR=${options.target} npm start   (see docs/DISASTER-RECOVERY.md for the checks before reopening)`);
});

function parseArgs(args: string[]): { target: string; time?: Date; tier: 'daily' | 'monthly'; port?: number } {
  let target: string | undefined;
  let time: Date | undefined;
  let latest = false;
  let tier: 'daily' | 'monthly' = 'daily';
  let port: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      const v = args[++i];
      if (!v || v.startsWith('--')) throw new Error(`${arg} needs a value; ${USAGE}`);
      return v;
    };
    if (arg === '--to') target = value();
    else if (arg === '--time') {
      const text = value();
      time = new Date(text);
      if (Number.isNaN(time.getTime())) throw new Error(`--time ${text} is not a timestamp (e.g. 2026-12-02T16:45:02Z); ${USAGE}`);
    } else if (arg === '--latest') latest = true;
    else if (arg === '--repo') {
      const v = value();
      if (v !== 'daily' && v !== 'monthly') throw new Error(`--repo must be daily or monthly; ${USAGE}`);
      tier = v;
    } else if (arg === '--port') {
      port = Number(value());
      if (!Number.isInteger(port) || port < 1024 || port > 65535) throw new Error(`--port must be a port number from 1024 to 65535; ${USAGE}`);
    } else throw new Error(`unknown option ${arg}; ${USAGE}`);
  }
  if (!target) throw new Error(`--to is required; ${USAGE}`);
  if (time && latest) throw new Error(`give --time or --latest, not both; ${USAGE}`);
  return { target, time, tier, port };
}
