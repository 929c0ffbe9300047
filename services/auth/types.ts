import type { Config } from '../../config/index.ts';
import type { Database } from '../../models/index.ts';

/** Where a request came from, for the audit log. */
export interface RequestMeta {
  requestId?: string;
  ip?: string;
  userAgent?: string;
}

export interface AuthDeps {
  db: Database;
  config: Pick<Config, 'bcryptCost' | 'passwordMinLength' | 'login' | 'baseUrl'>;
}
