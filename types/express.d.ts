import 'express-session';
import type { Flash } from '../lib/flash.ts';

/** The completion date and notes typed on an event's work form when its Upload button was used. */
export interface EventDraft {
  eventId: string;
  completedOn?: string;
  closingNotes?: string;
}

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

/** A signed-in vendor staff member; never together with `auth` in one session. */
export interface StaffAuth {
  staffId: string;
  /** Must equal staff_users.session_epoch. */
  epoch: number;
  signedInAt: number;
  /** The support session this browser session is inside, if any (the database re-checks it). */
  support?: SupportVisitAuth;
}

export interface SupportVisitAuth {
  id: string;
  clientId: string;
  readOnly: boolean;
  /** Date.now()-style expiry, for the banner; the database's expires_at is what counts. */
  expiresAt: number;
  /** For the banner on admin pages, where no client row is readable. */
  clientName?: string;
  timeZone?: string;
}

/** A staff password accepted; the TOTP code (or, first time, the enrolment) completes sign-in. */
export interface PendingStaffSignIn {
  staffId: string;
  epoch: number;
  startedAt: number;
}

declare module 'express-session' {
  interface SessionData {
    auth?: SessionAuth;
    staff?: StaffAuth;
    pendingStaff?: PendingStaffSignIn;
    pendingSecondFactor?: PendingSecondFactor;
    flash?: Flash[];
    /** What the work form held when an upload sent it, shown again on the event page once. */
    eventDraft?: EventDraft;
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
