// The only reader of process.env. Everything else receives a frozen Config.
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const projectRoot = path.resolve(import.meta.dirname, '..');

const int = (fallback: number, min: number, max: number) =>
  z.coerce.number({ error: `must be a whole number from ${min} to ${max}` })
    .int(`must be a whole number from ${min} to ${max}`)
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(fallback);
const optionalUrl = z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }).optional();

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(3000, 0, 65535),
  BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  TRUST_PROXY: z.string().regex(/^(false|true|loopback|\d{1,2})$/, 'false, true, loopback or a hop count').default('false'),
  DATA_DIR: z.string().min(1).default(path.join(projectRoot, 'var')),
  DATABASE_URL: optionalUrl,
  DATABASE_APP_URL: optionalUrl,
  DATABASE_SESSION_URL: optionalUrl,
  DATABASE_BACKUP_URL: optionalUrl,
  // The runtime role on a streaming standby: reports and downloads read there while it keeps up.
  DATABASE_REPLICA_URL: optionalUrl,
  REPLICA_MAX_LAG_SECONDS: int(30, 1, 3600),
  EMBEDDED_PG_PORT: int(54329, 1024, 65535),
  DB_POOL_MAX: int(10, 1, 200),
  DB_ROLE_PREFIX: z.string().regex(/^[a-z][a-z0-9_]{0,40}$/, 'lower-case letters, digits and _').default('plantrak'),
  SESSION_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  DATA_ENCRYPTION_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, 'exactly 64 hex characters (32 bytes), e.g. from: openssl rand -hex 32').optional(),
  SESSION_IDLE_MINUTES: int(30, 1, 24 * 60),
  SESSION_ABSOLUTE_HOURS: int(12, 1, 24 * 7),
  // Vendor staff sign out sooner than client users.
  STAFF_SESSION_IDLE_MINUTES: int(15, 1, 24 * 60),
  STAFF_SESSION_ABSOLUTE_HOURS: int(8, 1, 24 * 7),
  SUPPORT_SESSION_MAX_MINUTES: int(120, 5, 720),
  BCRYPT_COST: int(12, 4, 15),
  // bcrypt runs on libuv's threadpool (4 threads unless UV_THREADPOOL_SIZE), shared with file
  // reads, DNS and zlib: a core is left to the event loop and PostgreSQL, and a thread to the rest.
  BCRYPT_CONCURRENCY: int(Math.min(3, Math.max(1, os.availableParallelism() - 1)), 1, 64),
  // Sign-ins waiting for a bcrypt slot beyond this are answered 503 at once (at cost 12, about a
  // quarter of a second each per slot: 100 waiting is some 25 s on one slot).
  BCRYPT_QUEUE_MAX: int(100, 0, 10_000),
  PASSWORD_MIN_LENGTH: int(8, 8, 64),
  LOGIN_LOCKOUT_THRESHOLD: int(10, 3, 100),
  LOGIN_THROTTLE_WINDOW_MINUTES: int(15, 1, 24 * 60),
  LOGIN_THROTTLE_ACCOUNT_MAX: int(5, 1, 1000),
  LOGIN_THROTTLE_IP_MAX: int(50, 1, 100000),
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
  MAIL_FROM: z.string().min(3).default('PlanTRAK <no-reply@plantrak.localhost>'),
  MAX_UPLOAD_MB: int(25, 1, 200),
  // Backups (pgBackRest): 'auto' archives and backs up the embedded server when pgbackrest is installed.
  BACKUPS: z.enum(['auto', 'off']).default('auto'),
  BACKUP_REPO_PATH: z.string().min(1).optional(),
  BACKUP_ARCHIVE_REPO_PATH: z.string().min(1).optional(),
  BACKUP_PASSPHRASE: z.string().optional(),
  BACKUP_ARCHIVE_PASSPHRASE: z.string().optional(),
  /** Full backups kept in the daily repository (one a week, with a differential every other day). */
  BACKUP_DAILY_KEEP_FULL: int(2, 1, 52),
  /** Monthly archival backups kept (one a month). */
  BACKUP_MONTHLY_KEEP: int(12, 1, 120),
  /** A directory of extra pgBackRest settings (*.conf), e.g. an S3 or SFTP archival repository. */
  BACKUP_CONFIG_INCLUDE_PATH: z.string().min(1).optional(),
  BACKUP_PGBACKREST: z.string().min(1).default('pgbackrest'),
  BACKUP_MARKER_MINUTES: int(60, 1, 24 * 60),
  BACKUP_ALERT_EMAIL: z.email('must be an e-mail address').optional(),
  // Freeze mode for the whole service (DESIGN.md §9): every client read-only, in the app and the database.
  READ_ONLY: z.enum(['true', 'false'], { error: 'true or false' }).default('false'),
  // The bearer token a Prometheus scrape of /metrics must send; without it /metrics is off.
  METRICS_TOKEN: z.string().min(32, 'at least 32 characters (e.g. openssl rand -hex 32)').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
});

export type Env = Record<string, string | undefined>;

export interface DatabaseUrls {
  owner: string;
  app: string;
  session: string;
  backup?: string;
}

export interface Config {
  env: 'development' | 'test' | 'production';
  host: string;
  port: number;
  baseUrl: string;
  trustProxy: boolean | number | string;
  projectRoot: string;
  dataDir: string;
  mailDir: string;
  /** Present when an external server is configured; absent means embedded PostgreSQL. */
  database?: DatabaseUrls;
  embeddedPort: number;
  /** Reports and downloads read from this standby while its replay lags at most maxLagSeconds. */
  replica?: { url: string; maxLagSeconds: number };
  poolMax: number;
  rolePrefix: string;
  sessionSecret?: string;
  /** 64 hex characters: the AES-256-GCM key for secrets at rest (TOTP secrets). Absent outside
   *  production means: use the one generated into var/secrets.json. */
  dataEncryptionKey?: string;
  session: { idleMs: number; absoluteMs: number };
  /** Staff sessions' idle and absolute limits (shorter than client users'). */
  staffSession: { idleMs: number; absoluteMs: number };
  /** The longest support session a staff member may open. */
  supportMaxMinutes: number;
  bcryptCost: number;
  /** bcrypt hashes and comparisons at once in this process, and how many may wait for one. */
  bcryptConcurrency: number;
  bcryptQueueMax: number;
  passwordMinLength: number;
  login: { lockoutThreshold: number; windowMs: number; accountMax: number; ipMax: number };
  smtpUrl?: string;
  mailFrom: string;
  /** The largest event document accepted, in MB (MiB: 1 MB = 1,048,576 bytes). */
  maxUploadMb: number;
  logLevel: string;
  /** READ_ONLY=true: every client's data frozen (its connections carry app.read_only). */
  readOnly: boolean;
  /** Bearer token for /metrics; undefined: /metrics answers 404. */
  metricsToken?: string;
  backups: BackupConfig;
}

export interface BackupConfig {
  enabled: boolean;
  /** The daily tier's repository (repo1) and the monthly archival one (repo2). */
  dailyRepoPath: string;
  monthlyRepoPath: string;
  /** Absent outside production means: use the ones generated into var/secrets.json. */
  dailyPassphrase?: string;
  monthlyPassphrase?: string;
  dailyKeepFull: number;
  monthlyKeep: number;
  configIncludePath?: string;
  pgbackrest: string;
  markerMinutes: number;
  /** Where a failed restore check is reported, besides the Technical Directors. */
  alertEmail?: string;
}

/** A passphrase an attacker cannot guess: long, and not one character repeated. */
export const MIN_PASSPHRASE_LENGTH = 32;
export function weakPassphrase(value: string): boolean {
  return value.length < MIN_PASSPHRASE_LENGTH || new Set(value).size < 10;
}

export class ConfigError extends Error {}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const parsed = envSchema.safeParse(blankToUndefined(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.BCRYPT_COST < 10 && e.NODE_ENV !== 'test') problems.push('BCRYPT_COST below 10 is allowed only when NODE_ENV=test');
  if (e.NODE_ENV === 'production' && !e.SESSION_SECRET) problems.push('SESSION_SECRET is required in production');
  if (e.NODE_ENV === 'production' && !e.DATA_ENCRYPTION_KEY) problems.push('DATA_ENCRYPTION_KEY is required in production');
  // Missing passphrases are refused where backups start (missingBackupPassphrases); weak ones always.
  for (const key of ['BACKUP_PASSPHRASE', 'BACKUP_ARCHIVE_PASSPHRASE'] as const) {
    const value = e[key];
    if (value && weakPassphrase(value)) problems.push(`${key} is too weak: at least ${MIN_PASSPHRASE_LENGTH} varied characters, e.g. from: openssl rand -base64 48`);
  }
  if (e.BACKUP_PASSPHRASE && e.BACKUP_PASSPHRASE === e.BACKUP_ARCHIVE_PASSPHRASE) problems.push('BACKUP_PASSPHRASE and BACKUP_ARCHIVE_PASSPHRASE must differ');
  if (e.DATABASE_URL && (!e.DATABASE_APP_URL || !e.DATABASE_SESSION_URL)) {
    problems.push('with DATABASE_URL (the owner role) also set DATABASE_APP_URL and DATABASE_SESSION_URL (see npm run db:provision)');
  }
  if (e.DATABASE_REPLICA_URL) {
    // The standby serves reads under row-level security: only as the runtime role, never the owner.
    if (!e.DATABASE_URL || !e.DATABASE_APP_URL) problems.push('DATABASE_REPLICA_URL is a standby of an external server: set DATABASE_URL and DATABASE_APP_URL too');
    else if (new URL(e.DATABASE_REPLICA_URL).username !== new URL(e.DATABASE_APP_URL).username) {
      problems.push('DATABASE_REPLICA_URL must sign in as the runtime role, the user of DATABASE_APP_URL (row-level security applies to it)');
    }
  }
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);

  const port = e.PORT;
  return Object.freeze({
    env: e.NODE_ENV,
    host: e.HOST,
    port,
    baseUrl: (e.BASE_URL ?? `http://localhost:${port}`).replace(/\/$/, ''),
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    projectRoot,
    dataDir: path.resolve(e.DATA_DIR),
    mailDir: path.join(path.resolve(e.DATA_DIR), 'mail'),
    database: e.DATABASE_URL
      ? { owner: e.DATABASE_URL, app: e.DATABASE_APP_URL!, session: e.DATABASE_SESSION_URL!, backup: e.DATABASE_BACKUP_URL }
      : undefined,
    embeddedPort: e.EMBEDDED_PG_PORT,
    replica: e.DATABASE_REPLICA_URL ? Object.freeze({ url: e.DATABASE_REPLICA_URL, maxLagSeconds: e.REPLICA_MAX_LAG_SECONDS }) : undefined,
    poolMax: e.DB_POOL_MAX,
    rolePrefix: e.DB_ROLE_PREFIX,
    sessionSecret: e.SESSION_SECRET,
    dataEncryptionKey: e.DATA_ENCRYPTION_KEY?.toLowerCase(),
    session: { idleMs: e.SESSION_IDLE_MINUTES * 60_000, absoluteMs: e.SESSION_ABSOLUTE_HOURS * 3_600_000 },
    staffSession: { idleMs: e.STAFF_SESSION_IDLE_MINUTES * 60_000, absoluteMs: e.STAFF_SESSION_ABSOLUTE_HOURS * 3_600_000 },
    supportMaxMinutes: e.SUPPORT_SESSION_MAX_MINUTES,
    bcryptCost: e.BCRYPT_COST,
    bcryptConcurrency: e.BCRYPT_CONCURRENCY,
    bcryptQueueMax: e.BCRYPT_QUEUE_MAX,
    passwordMinLength: e.PASSWORD_MIN_LENGTH,
    login: {
      lockoutThreshold: e.LOGIN_LOCKOUT_THRESHOLD,
      windowMs: e.LOGIN_THROTTLE_WINDOW_MINUTES * 60_000,
      accountMax: e.LOGIN_THROTTLE_ACCOUNT_MAX,
      ipMax: e.LOGIN_THROTTLE_IP_MAX,
    },
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    maxUploadMb: e.MAX_UPLOAD_MB,
    readOnly: e.READ_ONLY === 'true',
    metricsToken: e.METRICS_TOKEN,
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'silent' : 'info'),
    backups: Object.freeze({
      enabled: e.BACKUPS !== 'off',
      dailyRepoPath: path.resolve(e.BACKUP_REPO_PATH ?? path.join(path.resolve(e.DATA_DIR), 'backups', 'daily')),
      monthlyRepoPath: path.resolve(e.BACKUP_ARCHIVE_REPO_PATH ?? path.join(path.resolve(e.DATA_DIR), 'backups', 'monthly')),
      dailyPassphrase: e.BACKUP_PASSPHRASE,
      monthlyPassphrase: e.BACKUP_ARCHIVE_PASSPHRASE,
      dailyKeepFull: e.BACKUP_DAILY_KEEP_FULL,
      monthlyKeep: e.BACKUP_MONTHLY_KEEP,
      configIncludePath: e.BACKUP_CONFIG_INCLUDE_PATH ? path.resolve(e.BACKUP_CONFIG_INCLUDE_PATH) : undefined,
      pgbackrest: e.BACKUP_PGBACKREST,
      markerMinutes: e.BACKUP_MARKER_MINUTES,
      alertEmail: e.BACKUP_ALERT_EMAIL,
    }),
  });
}

/** In production the repositories' passphrases come from the environment, never generated: checked
 *  when backups start (pgBackRest installed), so a server without pgBackRest still starts. */
export function missingBackupPassphrases(config: Config): ConfigError | null {
  if (config.env !== 'production') return null;
  const missing = [
    config.backups.dailyPassphrase ? null : 'BACKUP_PASSPHRASE',
    config.backups.monthlyPassphrase ? null : 'BACKUP_ARCHIVE_PASSPHRASE',
  ].filter(Boolean);
  if (!missing.length) return null;
  return new ConfigError(`Invalid configuration:\n${missing.map((k) => `  ${k} is required in production (or set BACKUPS=off), e.g. from: openssl rand -base64 48`).join('\n')}`);
}

function blankToUndefined(env: Env): Env {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === '' ? undefined : v]));
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
