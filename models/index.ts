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
  /** Connected as the session-store role: the session table only. */
  sessionPool: pg.Pool;
  ping(): Promise<void>;
  close(): Promise<void>;
}

let modelsBoundTo: Sequelize | undefined;

export function openDatabase(urls: Pick<DatabaseUrls, 'app' | 'session'>, poolMax: number, options: { readOnly?: boolean } = {}): Database {
  const sequelize = new Sequelize(urls.app, {
    dialect: 'postgres',
    logging: false,
    timezone: '+00:00',
    pool: { max: poolMax, min: 0, idle: 10_000, acquire: 10_000 },
    dialectOptions: {
      application_name: 'plantrak-app',
      connectionTimeoutMillis: 5_000,
      // READ_ONLY=true: app_write_client() (migration 0021) then refuses every frozen write.
      ...(options.readOnly ? { options: '-c app.read_only=on' } : {}),
    },
  });
  guardQueries(sequelize);
  const sessionPool = new pg.Pool({ connectionString: urls.session, max: Math.max(2, Math.ceil(poolMax / 2)), application_name: 'plantrak-sessions', connectionTimeoutMillis: 5_000 });
  // An idle client dropped by the server (restart, failover) must not crash the process.
  sessionPool.on('error', () => undefined);
  return {
    sequelize,
    sessionPool,
    async ping() {
      await sequelize.query('SELECT 1', { outsideUnitOfWork: 'health' });
    },
    async close() {
      await Promise.allSettled([sequelize.close(), sessionPool.end()]);
    },
  };
}

/** Binds the models to the runtime connection; a process has one such connection. */
export function initModels(sequelize: Sequelize): void {
  if (modelsBoundTo && modelsBoundTo !== sequelize) throw new Error('models are already bound to another connection');
  modelsBoundTo = sequelize;
  for (const model of [Client, User, PasswordResetToken, MailMessage, OrgUnit, UserScope, RecoveryCode, PlanItem, Event, StaffUser]) model.initModel(sequelize);
}
