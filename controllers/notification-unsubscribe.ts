// One-click unsubscribe (RFC 8058) from an optional kind of notification. The signed link is the
// authority: the POST is the one route taken without a session or a CSRF token
// (middleware/csrf.ts exempts exactly this path).
import type { Request } from 'express';
import { type Outcome, view } from '../lib/outcomes.ts';
import { OPTIONAL_KIND_LABELS, readUnsubscribeLink, unsubscribe, type UnsubscribeLink, type UnsubscribeRefusal } from '../services/notifications/preferences.ts';
import type { AppDeps } from '../types/deps.ts';

const REFUSALS: Record<UnsubscribeRefusal, { status: number; message: string }> = {
  malformed: { status: 400, message: 'This unsubscribe link is incomplete or damaged. Copy the whole link from the e-mail, or change what you receive on your account’s Notifications page.' },
  forged: { status: 403, message: 'This unsubscribe link is not valid: it was not issued by PlanTRAK or has been altered. Nothing was changed.' },
  expired: { status: 400, message: 'This unsubscribe link has expired. Use the link in a more recent e-mail, or change what you receive on your account’s Notifications page.' },
  unknown: { status: 400, message: 'This unsubscribe link belongs to no account. Nothing was changed.' },
  deactivated: { status: 403, message: 'This unsubscribe link belongs to an account that has been deactivated; it receives no e-mail. Nothing was changed.' },
};

/** The token from the query string (as the List-Unsubscribe header gives it) or the form body. */
function tokenOf(req: Request): unknown {
  const query = req.query.token;
  if (query !== undefined) return query;
  return (req.body as Record<string, unknown> | undefined)?.token;
}

function refused(link: Extract<UnsubscribeLink, { ok: false }>): Outcome {
  const { status, message } = REFUSALS[link.reason];
  return view('notifications/unsubscribe-invalid', { title: 'Unsubscribe link not valid', message }, status);
}

export function notificationUnsubscribeController(deps: AppDeps) {
  const sequelize = deps.db.sequelize;
  return {
    // GET /notifications/unsubscribe?token=… — says what the link turns off; changes nothing.
    async confirm(req: Request): Promise<Outcome> {
      const token = tokenOf(req);
      const link = await readUnsubscribeLink(sequelize, deps.sessionSecret, token, req.context);
      if (!link.ok) return refused(link);
      return view('notifications/unsubscribe', { title: 'Unsubscribe', kindLabel: OPTIONAL_KIND_LABELS[link.kind], token, alreadyOff: link.alreadyOff });
    },

    // POST /notifications/unsubscribe — the one-click POST (body List-Unsubscribe=One-Click) or the page's button.
    async apply(req: Request): Promise<Outcome> {
      const link = await unsubscribe(sequelize, deps.sessionSecret, tokenOf(req), req.context);
      if (!link.ok) return refused(link);
      return view('notifications/unsubscribed', { title: 'Unsubscribed', kindLabel: OPTIONAL_KIND_LABELS[link.kind], alreadyOff: link.alreadyOff });
    },
  };
}
