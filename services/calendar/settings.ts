// A client's calendar feeds (DESIGN.md §7): on with everything an event says, limited to titles
// and dates (a feed's content leaves for the calendar provider's servers), or off. Stored in
// clients.settings.calendarFeeds; on by default.
import { sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import { audit } from '../audit/entries.ts';

export const FEED_MODES = ['full', 'titles', 'off'] as const;
export type FeedMode = (typeof FEED_MODES)[number];

export const FEED_MODE_TEXT: Record<FeedMode, string> = {
  full: 'On: titles, dates, facility, Additional Information and a link',
  titles: 'Titles and dates only',
  off: 'Off: no feed answers',
};

export function feedModeOf(client: Pick<Client, 'settings'>): FeedMode {
  const stored = client.settings?.calendarFeeds;
  return (FEED_MODES as readonly unknown[]).includes(stored) ? (stored as FeedMode) : 'full';
}

/** Saves the mode (already checked by the form), audited; false when nothing changed. */
export async function saveFeedMode(client: Client, mode: FeedMode): Promise<boolean> {
  const before = feedModeOf(client);
  if (before === mode) return false;
  await sql(
    `UPDATE clients SET settings = jsonb_set(settings, '{calendarFeeds}', to_jsonb($2::text)), updated_at = now() WHERE id = app_current_client() AND id = $1`,
    [client.id, mode],
  );
  client.settings = { ...client.settings, calendarFeeds: mode };
  await audit({ action: 'calendar.settings_changed', entityType: 'client', entityId: client.id, changes: { before, after: mode } });
  return true;
}
