// The signed-in user's own notification preferences (digest hour, time zone, optional kinds) and
// every notice sent to them. Own account only: support staff are refused by the route line.
import type { Request } from 'express';
import { z } from 'zod';
import type { FieldErrors } from '../lib/errors.ts';
import { parseForm, strictForm } from '../lib/forms.ts';
import { type Outcome, redirect, view } from '../lib/outcomes.ts';
import { myNotifications, MY_NOTIFICATIONS_CAP } from '../services/notifications/ledger.ts';
import {
  type NotificationPreferences, OPTIONAL_KIND_LABELS, optionalKindsFor, preferencesOf, saveNotificationPreferences,
} from '../services/notifications/preferences.ts';
import type { OptionalKind } from '../services/notifications/settings.ts';
import { isTimeZone, TIME_ZONES } from '../services/organisation/unit-admin.ts';
import type { Actor } from '../types/actor.ts';

// An unticked checkbox sends nothing; anything but "on" is refused.
const tick = z.literal('on', { error: 'Tick the box or leave it empty.' }).optional();

const preferencesForm = strictForm({
  digestHour: z.string({ error: 'Choose the hour of your daily digest.' })
    .regex(/^\d{1,2}$/, 'Choose an hour from 00:00 to 23:00.')
    .transform(Number)
    .refine((h) => h >= 0 && h <= 23, 'Choose an hour from 00:00 to 23:00.'),
  timeZone: z.string({ error: 'Choose one time zone.' }).trim().max(64, 'Choose a time zone from the list.')
    .refine((v) => v === '' || isTimeZone(v), 'Choose a time zone from the list.')
    .default(''),
  receiveWeeklySummary: tick,
  receiveEscalation: tick,
}, 'Nothing was saved.');

/** The checkbox of each optional kind. */
const FIELD_OF: Record<OptionalKind, 'receiveWeeklySummary' | 'receiveEscalation'> = { weekly_summary: 'receiveWeeklySummary', escalation: 'receiveEscalation' };

interface FormValues {
  digestHour: string;
  timeZone: string;
  receive: Record<OptionalKind, boolean>;
}

const valuesOf = (prefs: NotificationPreferences): FormValues => ({
  digestHour: String(prefs.digestHour),
  timeZone: prefs.timeZone ?? '',
  receive: { weekly_summary: !prefs.optOuts.includes('weekly_summary'), escalation: !prefs.optOuts.includes('escalation') },
});

const echoed = (body: Record<string, unknown>): FormValues => ({
  digestHour: typeof body.digestHour === 'string' ? body.digestHour : '',
  timeZone: typeof body.timeZone === 'string' ? body.timeZone : '',
  receive: { weekly_summary: body.receiveWeeklySummary === 'on', escalation: body.receiveEscalation === 'on' },
});

export function notificationPreferencesController() {
  async function page(actor: Actor, values: FormValues, errors: FieldErrors, status = 200): Promise<Outcome> {
    const zone = actor.user.timeZone ?? actor.client.timeZone;
    const { rows, capped } = await myNotifications(actor.client, actor.user.id, zone);
    return view('account/notifications', {
      title: 'Your notifications',
      values,
      errors,
      zone,
      clientZone: actor.client.timeZone,
      timeZones: TIME_ZONES,
      hours: Array.from({ length: 24 }, (_, h) => ({ value: String(h), text: `${String(h).padStart(2, '0')}:00` })),
      optionalKinds: optionalKindsFor(actor.user.rank).map((kind) => ({ kind, field: FIELD_OF[kind], label: OPTIONAL_KIND_LABELS[kind] })),
      rows,
      capped,
      cap: MY_NOTIFICATIONS_CAP,
    }, status);
  }

  return {
    // GET /account/notifications
    async edit(_req: Request, actor: Actor): Promise<Outcome> {
      return page(actor, valuesOf(preferencesOf(actor.user)), {});
    },

    // POST /account/notifications
    async update(req: Request, actor: Actor): Promise<Outcome> {
      const form = parseForm(preferencesForm, req.body);
      if (!form.ok) return page(actor, echoed(req.body ?? {}), form.errors, 422);
      const current = preferencesOf(actor.user);
      // Only the kinds this rank can receive are offered; the others keep what they were.
      const offered = new Set(optionalKindsFor(actor.user.rank));
      const optOuts = (Object.keys(FIELD_OF) as OptionalKind[]).filter((kind) =>
        offered.has(kind) ? form.data[FIELD_OF[kind]] !== 'on' : current.optOuts.includes(kind));
      const changed = await saveNotificationPreferences(actor.user, { timeZone: form.data.timeZone || null, digestHour: form.data.digestHour, optOuts });
      return redirect('/account/notifications', changed ? { kind: 'success', message: 'Your notification preferences were saved.' } : { kind: 'info', message: 'Nothing was changed.' });
    },
  };
}
