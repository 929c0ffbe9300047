import 'express-session';
import type { Flash } from '../middleware/flash.ts';

export interface SessionAuth {
  userId: string;
  clientId: string;
  /** Must equal users.session_epoch; a password change or reset bumps it and ends the session. */
  epoch: number;
  signedInAt: number;
}

/** A correct password for a user with two-factor sign-in on: not signed in until a code is given. */
export interface PendingSecondFactor {
  userId: string;
  clientId: string;
  /** users.session_epoch when the password was accepted; a change meanwhile voids this state. */
  epoch: number;
  /** Where to go once signed in (already checked to be a local path). */
  next: string;
  /** Date.now() at the password step; the state expires after PENDING_SECOND_FACTOR_MS. */
  startedAt: number;
}

declare module 'express-session' {
  interface SessionData {
    auth?: SessionAuth;
    pendingSecondFactor?: PendingSecondFactor;
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
