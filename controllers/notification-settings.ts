// The client's notification settings (DESIGN.md §6): reminder offsets, overdue repeats, which
// assignments go out at once, and the escalation ladder's days. Administrators only.
import type { Request } from 'express';
import { z } from 'zod';
import type { FieldErrors } from '../lib/errors.ts';
import { parseForm, strictForm } from '../lib/forms.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import { authorize } from '../policies/index.ts';
import {
  LADDER_NAMES, LADDER_RANKS, type NotificationSettings, OFFSET_MAX, notificationSettingsOf, saveNotificationSettings,
} from '../services/notifications/settings.ts';
import type { Actor } from '../types/actor.ts';

export const MAX_REMINDERS = 20;
export const OVERDUE_REPEAT_MAX = 90;
export const URGENT_DAYS_MAX = 30;
const LADDER_FIELDS = ['ladder1', 'ladder2', 'ladder3'] as const;

const single = (message: string) => z.string({ error: message });

/** A whole number of days within [min, max]; anything else gets the one message. */
const days = (message: string, min: number, max: number) =>
  single(message).trim().regex(/^\d{1,4}$/, message).transform(Number).refine((n) => n >= min && n <= max, message);

/** "14, 3" (commas or spaces): whole days from 0 to OFFSET_MAX, at most MAX_REMINDERS; kept
 *  furthest first, each once. Empty means no reminders before the due date. */
const offsets = single('Enter the reminder days as numbers separated by commas, like 14, 3.')
  .max(200, `Enter at most ${MAX_REMINDERS} reminders.`)
  .transform((value, ctx) => {
    const parts = value.split(/[\s,]+/).filter(Boolean);
    const bad = parts.find((p) => !/^\d{1,4}$/.test(p) || Number(p) > OFFSET_MAX);
    if (bad !== undefined) {
      ctx.addIssue({ code: 'custom', message: `Each reminder must be a whole number of days from 0 to ${OFFSET_MAX} before the due date; “${bad}” is not.` });
      return z.NEVER;
    }
    const unique = [...new Set(parts.map(Number))].sort((a, b) => b - a);
    if (unique.length > MAX_REMINDERS) {
      ctx.addIssue({ code: 'custom', message: `Enter at most ${MAX_REMINDERS} reminders.` });
      return z.NEVER;
    }
    return unique;
  });

const ladderDays = (i: number) => days(`Enter the days overdue for ${LADDER_NAMES[i]} as a whole number from 1 to ${OFFSET_MAX}.`, 1, OFFSET_MAX);

const settingsForm = strictForm({
  reminderOffsets: offsets,
  overdueRepeatDays: days(`Enter how often an overdue event is repeated as a whole number of days from 1 to ${OVERDUE_REPEAT_MAX}.`, 1, OVERDUE_REPEAT_MAX),
  assignmentUrgentDays: days(`Enter a whole number of days from 0 to ${URGENT_DAYS_MAX}.`, 0, URGENT_DAYS_MAX),
  ladder1: ladderDays(0),
  ladder2: ladderDays(1),
  ladder3: ladderDays(2),
});
const ECHOED = ['reminderOffsets', 'overdueRepeatDays', 'assignmentUrgentDays', ...LADDER_FIELDS] as const;

/** Each level must come strictly later than the one before it. */
function ladderErrors(ladder: number[]): FieldErrors {
  const errors: FieldErrors = {};
  for (let i = 1; i < ladder.length; i++) {
    if (ladder[i]! <= ladder[i - 1]!) {
      errors[LADDER_FIELDS[i]!] = `${LADDER_NAMES[i]} must hear later than ${LADDER_NAMES[i - 1]} (more than ${ladder[i - 1]} days overdue).`;
    }
  }
  return errors;
}

/** The stored settings as the form shows them. */
function formValues(settings: NotificationSettings): Record<string, string> {
  return {
    reminderOffsets: settings.reminderOffsets.join(', '),
    overdueRepeatDays: String(settings.overdueRepeatDays),
    assignmentUrgentDays: String(settings.assignmentUrgentDays),
    ...Object.fromEntries(settings.ladder.map((level, i) => [LADDER_FIELDS[i], String(level.days)])),
  };
}

function settingsPage(values: Record<string, string>, errors: FieldErrors, status = 200): Outcome {
  return view('settings/notifications', {
    title: 'Notification settings', values, errors, ladderNames: LADDER_NAMES, ladderFields: LADDER_FIELDS,
    limits: { offsetMax: OFFSET_MAX, maxReminders: MAX_REMINDERS, repeatMax: OVERDUE_REPEAT_MAX, urgentMax: URGENT_DAYS_MAX },
  }, status);
}

export function notificationSettingsController() {
  return {
    // GET /settings/notifications
    async edit(_req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'settings.manage');
      return settingsPage(formValues(notificationSettingsOf(actor.client)), {});
    },

    // POST /settings/notifications
    async update(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'settings.manage');
      const form = parseForm(settingsForm, req.body, [...ECHOED]);
      if (!form.ok) return settingsPage(form.values, form.errors, 422);
      const ladder = [form.data.ladder1, form.data.ladder2, form.data.ladder3];
      const errors = ladderErrors(ladder);
      if (Object.keys(errors).length) return settingsPage(Object.fromEntries(ECHOED.map((k) => [k, String(req.body[k])])), errors, 422);
      const changed = await saveNotificationSettings(actor.client, {
        reminderOffsets: form.data.reminderOffsets,
        overdueRepeatDays: form.data.overdueRepeatDays,
        assignmentUrgentDays: form.data.assignmentUrgentDays,
        ladder: ladder.map((d, i) => ({ days: d, ranks: LADDER_RANKS[i]! })),
      });
      return redirect('/settings/notifications', changed ? { kind: 'success', message: 'The notification settings were saved.' } : { kind: 'info', message: 'Nothing was changed.' });
    },
  };
}
