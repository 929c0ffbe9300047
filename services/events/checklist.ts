// Checklist answers of an event (DESIGN.md §5): parsed against the Plan Item's checklist
// definition by type, stored per item key, and judged complete or not. The form field of item
// `key` is `answer_<key>`; anything else in a form is not an answer.
import type { FieldErrors } from '../../lib/errors.ts';
import { sql } from '../../lib/unit-of-work.ts';
import type { ChecklistItem } from '../../models/plan-item.ts';

export const ANSWER_PREFIX = 'answer_';
export const TEXT_ANSWER_MAX = 2000;
const NUMBER = /^-?\d{1,15}(\.\d{1,6})?$/;
export const YES_NO_NA = { yes: 'Yes', no: 'No', na: 'N/A' } as const;

/** Stored answers by item key. */
export type Answers = Record<string, string>;

export const answerField = (item: Pick<ChecklistItem, 'key'>): string => `${ANSWER_PREFIX}${item.key}`;

/**
 * The answers a form gives, one per definition item: a ticked check is "checked", yes/no/n.a. one
 * of yes|no|na, text trimmed, a number in plain decimal notation. An empty field is no answer
 * (null). A value of the wrong type is an error under the item's field, never stored.
 */
export function parseAnswers(checklist: ChecklistItem[], form: Record<string, unknown>): { answers: Record<string, string | null>; errors: FieldErrors } {
  const answers: Record<string, string | null> = {};
  const errors: FieldErrors = {};
  for (const item of checklist) {
    const field = answerField(item);
    const raw = form[field];
    if (raw !== undefined && typeof raw !== 'string') {
      errors[field] = `Give one answer to “${item.label}”.`;
      continue;
    }
    const value = (raw ?? '').trim();
    if (value === '') {
      answers[item.key] = null;
      continue;
    }
    switch (item.type) {
      case 'check':
        if (value === '1') answers[item.key] = 'checked';
        else errors[field] = `“${item.label}” is a tick box: tick it or leave it empty.`;
        break;
      case 'yes_no_na':
        if (Object.hasOwn(YES_NO_NA, value)) answers[item.key] = value;
        else errors[field] = `Answer “${item.label}” with Yes, No or N/A.`;
        break;
      case 'number':
        if (NUMBER.test(value)) answers[item.key] = value;
        else errors[field] = `Answer “${item.label}” with a number, like 12 or 7.5.`;
        break;
      case 'text':
        if (value.length <= TEXT_ANSWER_MAX) answers[item.key] = value;
        else errors[field] = `The answer to “${item.label}” must be at most ${TEXT_ANSWER_MAX} characters.`;
        break;
    }
  }
  return { answers, errors };
}

/** Errors for required items without an answer (a required tick box must be ticked). */
export function missingRequiredAnswers(checklist: ChecklistItem[], answers: Answers): FieldErrors {
  const errors: FieldErrors = {};
  for (const item of checklist) {
    if (item.required && !answers[item.key]) errors[answerField(item)] = `“${item.label}” must be answered before the event can be closed.`;
  }
  return errors;
}

/** An event's ($1) stored answers, a row per item. */
export const EVENT_ANSWERS_SQL = 'SELECT item_key, value FROM checklist_responses WHERE client_id = app_current_client() AND event_id = $1';

export async function answersOf(eventId: string): Promise<Answers> {
  const rows = await sql<{ item_key: string; value: string }>(EVENT_ANSWERS_SQL, [eventId]);
  return Object.fromEntries(rows.map((r) => [r.item_key, r.value]));
}

/** Stores the given answers (null removes one) for an event the caller has locked. */
export async function saveAnswers(event: { id: string; facilityId: string }, answers: Record<string, string | null>, userId: string | null): Promise<void> {
  const entries = Object.entries(answers);
  const set = entries.filter(([, v]) => v !== null) as Array<[string, string]>;
  const cleared = entries.filter(([, v]) => v === null).map(([k]) => k);
  if (set.length) {
    await sql(
      `INSERT INTO checklist_responses (client_id, event_id, facility_id, item_key, value, answered_by)
       SELECT app_current_client(), $1, $2, k, v, $5 FROM unnest($3::text[], $4::text[]) AS a(k, v)
       ON CONFLICT (client_id, event_id, item_key) DO UPDATE
         SET value = EXCLUDED.value, answered_by = EXCLUDED.answered_by, answered_at = now()
         WHERE checklist_responses.value IS DISTINCT FROM EXCLUDED.value`,
      [event.id, event.facilityId, set.map(([k]) => k), set.map(([, v]) => v), userId],
    );
  }
  if (cleared.length) {
    await sql('DELETE FROM checklist_responses WHERE client_id = app_current_client() AND event_id = $1 AND item_key = ANY ($2::text[])', [event.id, cleared]);
  }
}

/** The display text of a stored answer. */
export function answerText(item: ChecklistItem, value: string | undefined): string {
  if (!value) return '—';
  if (item.type === 'check') return 'Done';
  if (item.type === 'yes_no_na') return Object.hasOwn(YES_NO_NA, value) ? YES_NO_NA[value as keyof typeof YES_NO_NA] : value;
  return value;
}
