// A client's notification settings (DESIGN.md §6): when reminders go out, how often an overdue
// event is repeated, which assignments are sent at once, and the escalation ladder. Stored in
// clients.settings.notifications; what is not set there takes the defaults below.
import { sql } from '../../lib/unit-of-work.ts';
import type { Client } from '../../models/index.ts';
import type { Rank } from '../../models/user.ts';
import { audit } from '../audit/entries.ts';

export interface EscalationLevel {
  /** Days overdue at which this level hears of it. */
  days: number;
  ranks: Rank[];
}

export interface NotificationSettings {
  /** Days before the due date. */
  reminderOffsets: number[];
  /** An overdue event is repeated this many days apart, from the day after its due date. */
  overdueRepeatDays: number;
  /** An assignment due within this many days is sent at once rather than in the next digest. */
  assignmentUrgentDays: number;
  /** Nearest level first: facility managers, then directors, then executives and administrators. */
  ladder: EscalationLevel[];
}

/** The ladder's levels and who they reach; only their days are configurable. */
export const LADDER_RANKS: Rank[][] = [['manager'], ['director'], ['executive', 'administrator']];
export const LADDER_NAMES = ['Managers', 'Directors', 'Executives and Administrators'];

export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettings = {
  reminderOffsets: [14, 3],
  overdueRepeatDays: 7,
  assignmentUrgentDays: 3,
  ladder: [{ days: 7, ranks: ['manager'] }, { days: 14, ranks: ['director'] }, { days: 30, ranks: ['executive', 'administrator'] }],
};

/** The kinds a user may turn off (each sent as its own message with one-click unsubscribe):
 *  the weekly summary, and escalations beyond the first level. Reminders of one's own
 *  obligations cannot be turned off. */
export const OPTIONAL_KINDS = ['weekly_summary', 'escalation'] as const;
export type OptionalKind = (typeof OPTIONAL_KINDS)[number];
export const isOptionalKind = (value: unknown): value is OptionalKind => (OPTIONAL_KINDS as readonly unknown[]).includes(value);

export const OFFSET_MAX = 366;
const isDays = (v: unknown, min: number, max: number): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

export function notificationSettingsOf(client: Pick<Client, 'settings'>): NotificationSettings {
  const stored = (client.settings?.notifications ?? {}) as Partial<Record<keyof NotificationSettings, unknown>>;
  const offsets = Array.isArray(stored.reminderOffsets) && stored.reminderOffsets.every((d) => isDays(d, 0, OFFSET_MAX)) ? (stored.reminderOffsets as number[]) : DEFAULT_NOTIFICATION_SETTINGS.reminderOffsets;
  const days = Array.isArray(stored.ladder) && stored.ladder.length === LADDER_RANKS.length && stored.ladder.every((d) => isDays(d, 1, OFFSET_MAX))
    ? (stored.ladder as number[])
    : DEFAULT_NOTIFICATION_SETTINGS.ladder.map((l) => l.days);
  return {
    reminderOffsets: offsets,
    overdueRepeatDays: isDays(stored.overdueRepeatDays, 1, 90) ? stored.overdueRepeatDays : DEFAULT_NOTIFICATION_SETTINGS.overdueRepeatDays,
    assignmentUrgentDays: isDays(stored.assignmentUrgentDays, 0, 30) ? stored.assignmentUrgentDays : DEFAULT_NOTIFICATION_SETTINGS.assignmentUrgentDays,
    ladder: days.map((d, i) => ({ days: d, ranks: LADDER_RANKS[i]! })),
  };
}

/** Saves the client's settings (already checked by the form), audited with before and after. */
export async function saveNotificationSettings(client: Client, next: NotificationSettings): Promise<boolean> {
  const before = notificationSettingsOf(client);
  const stored = { reminderOffsets: next.reminderOffsets, overdueRepeatDays: next.overdueRepeatDays, assignmentUrgentDays: next.assignmentUrgentDays, ladder: next.ladder.map((l) => l.days) };
  const previous = { reminderOffsets: before.reminderOffsets, overdueRepeatDays: before.overdueRepeatDays, assignmentUrgentDays: before.assignmentUrgentDays, ladder: before.ladder.map((l) => l.days) };
  if (JSON.stringify(stored) === JSON.stringify(previous)) return false;
  await sql(
    `UPDATE clients SET settings = jsonb_set(settings, '{notifications}', $2::jsonb), updated_at = now() WHERE id = app_current_client() AND id = $1`,
    [client.id, JSON.stringify(stored)],
  );
  client.settings = { ...client.settings, notifications: stored };
  await audit({ action: 'notifications.settings_changed', entityType: 'client', entityId: client.id, changes: { before: previous, after: stored } });
  return true;
}
