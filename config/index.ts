// The only reader of process.env. Everything else receives a frozen Config.
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
  PASSWORD_MIN_LENGTH: int(8, 8, 64),
  LOGIN_LOCKOUT_THRESHOLD: int(10, 3, 100),
  LOGIN_THROTTLE_WINDOW_MINUTES: int(15, 1, 24 * 60),
  LOGIN_THROTTLE_ACCOUNT_MAX: int(5, 1, 1000),
  LOGIN_THROTTLE_IP_MAX: int(50, 1, 100000),
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
  MAIL_FROM: z.string().min(3).default('PlanTRAK <no-reply@plantrak.localhost>'),
  MAX_UPLOAD_MB: int(25, 1, 200),
  // Freeze mode for the whole service (DESIGN.md §9): every client read-only, in the app and the database.
  READ_ONLY: z.enum(['true', 'false'], { error: 'true or false' }).default('false'),
  // The bearer token a Prometheus scrape of /metrics must send; without it /metrics is off.
  METRICS_TOKEN: z.string().min(32, 'at least 32 characters (e.g. openssl rand -hex 32)').optional(),
  // The monthly archival backup repository's retention, for the note offboarding records.
  BACKUP_ARCHIVE_RETENTION_MONTHS: z.coerce.number({ error: 'must be a whole number from 1 to 600' }).int('must be a whole number from 1 to 600').min(1).max(600).optional(),
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
  /** Months the archival backup repository keeps a backup, when known. */
  backupArchiveRetentionMonths?: number;
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
  if (e.DATABASE_URL && (!e.DATABASE_APP_URL || !e.DATABASE_SESSION_URL)) {
    problems.push('with DATABASE_URL (the owner role) also set DATABASE_APP_URL and DATABASE_SESSION_URL (see npm run db:provision)');
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
    poolMax: e.DB_POOL_MAX,
    rolePrefix: e.DB_ROLE_PREFIX,
    sessionSecret: e.SESSION_SECRET,
    dataEncryptionKey: e.DATA_ENCRYPTION_KEY?.toLowerCase(),
    session: { idleMs: e.SESSION_IDLE_MINUTES * 60_000, absoluteMs: e.SESSION_ABSOLUTE_HOURS * 3_600_000 },
    staffSession: { idleMs: e.STAFF_SESSION_IDLE_MINUTES * 60_000, absoluteMs: e.STAFF_SESSION_ABSOLUTE_HOURS * 3_600_000 },
    supportMaxMinutes: e.SUPPORT_SESSION_MAX_MINUTES,
    bcryptCost: e.BCRYPT_COST,
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
    backupArchiveRetentionMonths: e.BACKUP_ARCHIVE_RETENTION_MONTHS,
    metricsToken: e.METRICS_TOKEN,
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'silent' : 'info'),
  });
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
