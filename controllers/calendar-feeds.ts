// Calendar feeds: the user's own feed URLs (/account/calendar: create, reset, revoke; a URL is
// shown once, as only its hash is kept), the Administrator's switch for the client
// (/settings/calendar), and the feed itself (/calendar/feed/<token>.ics), fetched by calendar
// applications without a session: the token is the authority, and an unusable one is a bare 404.
import type { Request } from 'express';
import { z } from 'zod';
import { NotFoundError, TooManyRequestsError } from '../lib/errors.ts';
import { parseForm, strictForm } from '../lib/forms.ts';
import { download, type Outcome, redirect, view } from '../lib/outcomes.ts';
import { authorize } from '../policies/index.ts';
import { FEED_DAYS_BACK, FEED_KIND_TEXT, FEED_KINDS, FEED_MAX_EVENTS, FEED_MONTHS_AHEAD, feedFile, feedPath, issueFeed, myFeeds, revokeFeed } from '../services/calendar/feeds.ts';
import { FEED_MODE_TEXT, FEED_MODES, feedModeOf, saveFeedMode } from '../services/calendar/settings.ts';
import type { Actor } from '../types/actor.ts';
import type { AppDeps } from '../types/deps.ts';

const feedForm = strictForm({
  kind: z.enum(FEED_KINDS, { error: 'Choose which feed.' }),
  action: z.enum(['issue', 'revoke'], { error: 'Choose what to do with the feed.' }),
}, 'Nothing was changed.');

const modeForm = strictForm({ mode: z.enum(FEED_MODES, { error: 'Choose one of the options.' }) }, 'Nothing was saved.');

export function calendarFeedsController(deps: AppDeps) {
  const baseUrl = deps.config.baseUrl;

  async function accountPage(actor: Actor, shown?: { kind: string; url: string; reset: boolean }, error?: string, status = 200): Promise<Outcome> {
    const feeds = await myFeeds();
    return view('account/calendar', {
      title: 'Calendar feeds',
      kinds: FEED_KINDS.map((kind) => ({ kind, text: FEED_KIND_TEXT[kind], feed: feeds.find((f) => f.kind === kind) })),
      mode: feedModeOf(actor.client),
      modeText: FEED_MODE_TEXT[feedModeOf(actor.client)],
      shown,
      error,
      window: { daysBack: FEED_DAYS_BACK, monthsAhead: FEED_MONTHS_AHEAD, max: FEED_MAX_EVENTS },
    }, status);
  }

  function settingsPage(mode: string, errors: Record<string, string>, status = 200): Outcome {
    return view('settings/calendar', { title: 'Calendar feed settings', mode, modes: FEED_MODES.map((m) => ({ value: m, text: FEED_MODE_TEXT[m] })), errors }, status);
  }

  return {
    // GET /account/calendar
    account: (_req: Request, actor: Actor) => accountPage(actor),

    // POST /account/calendar — kind=mine|scope, action=issue|revoke.
    async change(req: Request, actor: Actor): Promise<Outcome> {
      const form = parseForm(feedForm, req.body);
      if (!form.ok) return accountPage(actor, undefined, Object.values(form.errors).join(' '), 422);
      const { kind, action } = form.data;
      if (action === 'revoke') {
        const revoked = await revokeFeed(kind);
        return redirect('/account/calendar', revoked
          ? { kind: 'success', message: `The “${FEED_KIND_TEXT[kind]}” feed was revoked: its URL no longer answers.` }
          : { kind: 'info', message: 'There was no such feed; nothing was changed.' });
      }
      if (feedModeOf(actor.client) === 'off') return accountPage(actor, undefined, 'Your organisation has turned calendar feeds off.', 409);
      const { token, reset } = await issueFeed(kind);
      // Shown on this response only (never stored in the session): the hash is all that is kept.
      return accountPage(actor, { kind: FEED_KIND_TEXT[kind], url: `${baseUrl}${feedPath(token)}`, reset });
    },

    // GET /settings/calendar
    async settings(_req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'settings.manage');
      return settingsPage(feedModeOf(actor.client), {});
    },

    // POST /settings/calendar
    async saveSettings(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'settings.manage');
      const form = parseForm(modeForm, req.body, ['mode']);
      if (!form.ok) return settingsPage(String(form.values.mode ?? ''), form.errors, 422);
      const changed = await saveFeedMode(actor.client, form.data.mode);
      return redirect('/settings/calendar', changed ? { kind: 'success', message: 'The calendar feed setting was saved.' } : { kind: 'info', message: 'Nothing was changed.' });
    },

    // GET /calendar/feed/<token>.ics — no session: the token is the authority.
    async feed(req: Request): Promise<Outcome> {
      const file = String(req.params.file ?? '');
      const token = file.endsWith('.ics') ? file.slice(0, -4) : '';
      const answer = await feedFile(deps.db.sequelize, token, req.context, baseUrl);
      if (answer.ok) return download(Buffer.from(answer.body, 'utf8'), 'plantrak.ics', 'text/calendar; charset=utf-8', { 'Cache-Control': 'private, no-store' });
      if (answer.status === 429) throw new TooManyRequestsError('Too many requests for this feed; try again later.', answer.retryAfterSeconds);
      throw new NotFoundError();
    },
  };
}
