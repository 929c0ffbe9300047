import 'express-session';
import type { Flash } from '../middleware/flash.ts';

export interface SessionAuth {
  userId: string;
  clientId: string;
  /** Must equal users.session_epoch; a password change or reset bumps it and ends the session. */
  epoch: number;
  signedInAt: number;
}

declare module 'express-session' {
  interface SessionData {
    auth?: SessionAuth;
    flash?: Flash[];
  }
}

declare global {
  namespace Express {
    interface Request {
      /** Request id, IP and user agent, for logs and the audit log. */
      context: { requestId: string; ip?: string; userAgent?: string };
    }
  }
}
