// The runtime database: the app role's Sequelize (RLS applies) and the session store's pool.
import pg from 'pg';
import { Sequelize } from 'sequelize';
import type { DatabaseUrls } from '../config/index.ts';
import { guardQueries } from '../lib/unit-of-work.ts';
import { Client } from './client.ts';
import { Event } from './event.ts';
import { MailMessage } from './mail-message.ts';
import { OrgUnit } from './org-unit.ts';
import { PasswordResetToken } from './password-reset-token.ts';
import { PlanItem } from './plan-item.ts';
import { RecoveryCode } from './recovery-code.ts';
import { StaffUser } from './staff-user.ts';
import { UserScope } from './user-scope.ts';
import { User } from './user.ts';

export { Client, Event, MailMessage, OrgUnit, PasswordResetToken, PlanItem, RecoveryCode, StaffUser, User, UserScope };

export interface Database {
  /** Connected as the runtime role: no ownership, no BYPASSRLS. */
  sequelize: Sequelize;
  /** The runtime role on a streaming standby (DATABASE_REPLICA_URL), for reports and downloads. */
  replica?: Sequelize;
  /** Connected as the session-store role: the session table only. */
  sessionPool: pg.Pool;
  ping(): Promise<void>;
  close(): Promise<void>;
}

let modelsBoundTo: Sequelize | undefined;

/** A runtime-role Sequelize on one server, with the unit-of-work guard. */
function runtimeSequelize(url: string, poolMax: number, dialectOptions: Record<string, unknown>): Sequelize {
  const sequelize = new Sequelize(url, {
    dialect: 'postgres',
    logging: false,
    timezone: '+00:00',
    pool: { max: poolMax, min: 0, idle: 10_000, acquire: 10_000 },
    dialectOptions,
  });
  guardQueries(sequelize);
  return sequelize;
}

/** How long a connection to the standby may take before its reads go to the primary instead. */
const REPLICA_CONNECT_TIMEOUT_MS = 2_000;

export function openDatabase(urls: Pick<DatabaseUrls, 'app' | 'session'>, poolMax: number, options: { readOnly?: boolean; replicaUrl?: string } = {}): Database {
  const sequelize = runtimeSequelize(urls.app, poolMax, {
    application_name: 'plantrak-app',
    connectionTimeoutMillis: 5_000,
    // READ_ONLY=true: app_write_client() (migration 0021) then refuses every frozen write.
    ...(options.readOnly ? { options: '-c app.read_only=on' } : {}),
  });
  // A hot standby refuses every write by itself; its units of work are READ ONLY as well.
  const replica = options.replicaUrl
    ? runtimeSequelize(options.replicaUrl, poolMax, { application_name: 'plantrak-app-replica', connectionTimeoutMillis: REPLICA_CONNECT_TIMEOUT_MS })
    : undefined;
  const sessionPool = new pg.Pool({ connectionString: urls.session, max: Math.max(2, Math.ceil(poolMax / 2)), application_name: 'plantrak-sessions', connectionTimeoutMillis: 5_000 });
  // An idle client dropped by the server (restart, failover) must not crash the process.
  sessionPool.on('error', () => undefined);
  return {
    sequelize,
    replica,
    sessionPool,
    async ping() {
      await sequelize.query('SELECT 1', { outsideUnitOfWork: 'health' });
    },
    async close() {
      await Promise.allSettled([sequelize.close(), sessionPool.end(), replica?.close()]);
    },
  };
}

/** Binds the models to the runtime connection; a process has one such connection. */
export function initModels(sequelize: Sequelize): void {
  if (modelsBoundTo && modelsBoundTo !== sequelize) throw new Error('models are already bound to another connection');
  modelsBoundTo = sequelize;
  for (const model of [Client, User, PasswordResetToken, MailMessage, OrgUnit, UserScope, RecoveryCode, PlanItem, Event, StaffUser]) model.initModel(sequelize);
}
