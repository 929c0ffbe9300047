// Calendar feeds (DESIGN.md §7): each user may have a secret URL for their own open events and
// one for everyone's in their scope, which a calendar application fetches without a session.
// Only the token's SHA-256 is kept, so the URL is shown once, when it is made or reset; revoking
// deletes the feed, and the URL stops answering at once. A fetch finds its feed through one narrow
// function (calendar_feed_of), then reads the events as the feed's user, under row-level security.
import { createHash, randomBytes } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import { addDays, addMonths, todayIn } from '../../lib/calendar-dates.ts';
import { inUnitOfWork, sql, type UnitOfWorkContext } from '../../lib/unit-of-work.ts';
import { Client } from '../../models/index.ts';
import { audit } from '../audit/entries.ts';
import { countKeys, keyThrottledFor } from '../auth/throttle.ts';
import { type FeedEvent, feedCalendar } from './ical.ts';
import { feedModeOf } from './settings.ts';

export const FEED_KINDS = ['mine', 'scope'] as const;
export type FeedKind = (typeof FEED_KINDS)[number];

export const FEED_KIND_TEXT: Record<FeedKind, string> = {
  mine: 'My events',
  scope: 'Everyone’s events in my scope',
};

/** The window a feed lists: from 30 days back to 12 months ahead (the client's today). */
export const FEED_DAYS_BACK = 30;
export const FEED_MONTHS_AHEAD = 12;
/** At most so many events in one feed (the nearest due first): calendar applications time out
 *  on larger files, and a scope of tens of thousands of open events is no calendar anyway. */
export const FEED_MAX_EVENTS = 5_000;

/** Fetches of one feed, and unknown tokens from one address, allowed per window. */
export const FEED_LIMITS = { windowMs: 60 * 60 * 1000, perFeed: 120, unknownPerIp: 20 };

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** 256 random bits, URL-safe. */
const newToken = () => randomBytes(32).toString('base64url');
export const isFeedToken = (value: unknown): value is string => typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);

export const feedPath = (token: string) => `/calendar/feed/${token}.ics`;

export interface FeedRow {
  kind: FeedKind;
  createdAt: Date;
  resetAt: Date | null;
}

/** The current user's feeds (never their tokens: only hashes are kept). */
export function myFeeds(): Promise<FeedRow[]> {
  return sql<FeedRow>(
    `SELECT kind, created_at AS "createdAt", reset_at AS "resetAt" FROM calendar_feeds
      WHERE client_id = app_current_client() AND user_id = app_current_user() ORDER BY kind`,
  );
}

/** Makes the user's feed of a kind, or replaces an existing one with a new token (the old URL
 *  stops answering); audited. Returns the new token: the only time it is known. */
export async function issueFeed(kind: FeedKind): Promise<{ token: string; reset: boolean }> {
  const token = newToken();
  const [old] = await sql<{ createdAt: Date }>(
    `DELETE FROM calendar_feeds WHERE client_id = app_current_client() AND user_id = app_current_user() AND kind = $1 RETURNING created_at AS "createdAt"`,
    [kind],
  );
  const [row] = await sql<{ id: string }>(
    `INSERT INTO calendar_feeds (client_id, user_id, kind, token_sha256, created_at, reset_at)
     VALUES (app_current_client(), app_current_user(), $1, $2, coalesce($3::timestamptz, now()), CASE WHEN $3::timestamptz IS NOT NULL THEN now() END)
     RETURNING id`,
    [kind, sha256(token), old?.createdAt ?? null],
  );
  const reset = old !== undefined;
  await audit({ action: reset ? 'calendar.feed_reset' : 'calendar.feed_created', entityType: 'calendar_feed', entityId: row!.id, changes: { kind } });
  return { token, reset };
}

/** Deletes the user's feed of a kind, audited; false when there was none. */
export async function revokeFeed(kind: FeedKind): Promise<boolean> {
  const [row] = await sql<{ id: string }>(
    `DELETE FROM calendar_feeds WHERE client_id = app_current_client() AND user_id = app_current_user() AND kind = $1 RETURNING id`,
    [kind],
  );
  if (!row) return false;
  await audit({ action: 'calendar.feed_revoked', entityType: 'calendar_feed', entityId: row.id, changes: { kind } });
  return true;
}

export type FeedAnswer = { ok: true; body: string } | { ok: false; status: 404 } | { ok: false; status: 429; retryAfterSeconds: number };

type RequestMeta = Pick<UnitOfWorkContext, 'requestId' | 'ip' | 'userAgent'>;

/**
 * The iCalendar file a feed URL stands for. An unknown or revoked token, a feed of a deactivated
 * user or suspended client, or a client that turned feeds off: 404 with no detail. Too many
 * fetches of a feed, or unknown tokens from one address: 429.
 */
export async function feedFile(sequelize: Sequelize, token: unknown, meta: RequestMeta, baseUrl: string, now: Date = new Date()): Promise<FeedAnswer> {
  const ipKey = `feed-ip:${meta.ip ?? 'unknown'}`;
  const found = await inUnitOfWork(sequelize, { actorKind: 'anonymous', ...meta }, async () => {
    const wait = await keyThrottledFor(ipKey, FEED_LIMITS.unknownPerIp, FEED_LIMITS.windowMs);
    if (wait) return { wait };
    const [feed] = isFeedToken(token)
      ? await sql<{ clientId: string; feedId: string; userId: string; kind: FeedKind }>(
        'SELECT client_id AS "clientId", feed_id AS "feedId", user_id AS "userId", kind FROM calendar_feed_of($1)', [sha256(token)])
      : [];
    if (!feed) await countKeys([ipKey], FEED_LIMITS.windowMs);
    return { feed };
  });
  if ('wait' in found) return { ok: false, status: 429, retryAfterSeconds: found.wait! };
  const feed = found.feed;
  if (!feed) return { ok: false, status: 404 };
  const feedKey = `feed:${feed.feedId}`;
  return inUnitOfWork(sequelize, { actorKind: 'user', clientId: feed.clientId, userId: feed.userId, ...meta }, async (): Promise<FeedAnswer> => {
    const client = await Client.findByPk(feed.clientId);
    const mode = client ? feedModeOf(client) : 'off';
    if (!client || mode === 'off') return { ok: false, status: 404 };
    const wait = await keyThrottledFor(feedKey, FEED_LIMITS.perFeed, FEED_LIMITS.windowMs);
    if (wait) return { ok: false, status: 429, retryAfterSeconds: wait };
    await countKeys([feedKey], FEED_LIMITS.windowMs);
    const today = todayIn(client.timeZone, now);
    const events = await feedEvents(feed.kind, addDays(today, -FEED_DAYS_BACK), addMonths(today, FEED_MONTHS_AHEAD));
    const [owner] = await sql<{ name: string }>('SELECT name FROM users WHERE client_id = app_current_client() AND id = app_current_user()');
    return { ok: true, body: feedCalendar({ name: `PlanTRAK — ${FEED_KIND_TEXT[feed.kind]} (${owner?.name ?? client.name})`, mode, baseUrl, events, now }) };
  });
}

/** The open events of the feed's user (their own, or all their scope lets them see) due in the window. */
function feedEvents(kind: FeedKind, from: string, through: string): Promise<FeedEvent[]> {
  return sql<FeedEvent>(
    `SELECT e.id, e.activity, e.due_date::text AS "dueDate", e.additional_information AS "additionalInformation", f.name AS "facilityName",
            a.name AS "assigneeName", e.calendar_sequence AS sequence, coalesce(e.calendar_changed_at, e.created_at) AS "lastModified"
       FROM events e
       JOIN org_units f ON f.client_id = e.client_id AND f.id = e.facility_id
       JOIN users a ON a.client_id = e.client_id AND a.id = e.assignee_id
      WHERE e.client_id = app_current_client() AND e.status = 'open' AND e.due_date BETWEEN $1::date AND $2::date
        AND ($3::text = 'scope' OR e.assignee_id = app_current_user())
      ORDER BY e.due_date, e.activity, e.id
      LIMIT ${FEED_MAX_EVENTS}`,
    [from, through, kind],
  );
}
