// What the event page shows beside the event itself, read in one statement: each part is the
// same query its own reader runs (answers, documents, comments, close records, history, the
// earliest completion date, who may take the event), as a JSON sub-select of one row.
import { sql } from '../../lib/unit-of-work.ts';
import { type AssigneeChoice, USERS_COVERING_SQL } from '../plans/plan-items.ts';
import { type Answers, EVENT_ANSWERS_SQL } from './checklist.ts';
import { type DocumentRow, EVENT_DOCUMENTS_SQL } from './documents.ts';
import {
  type ClosureRow, type CommentRow, type EventRecord, type HistoryRow,
  EARLIEST_COMPLETION_SQL, EVENT_CLOSURES_SQL, EVENT_COMMENTS_SQL, EVENT_HISTORY_SQL,
} from './lookups.ts';

export interface EventPageParts {
  answers: Answers;
  documents: DocumentRow[];
  comments: CommentRow[];
  closures: ClosureRow[];
  history: HistoryRow[];
  /** For an open event: the earliest completion date it accepts. */
  earliest: string | null;
  /** When asked for: the users who may take the event (its facility's scope covers them). */
  assigneeChoices: AssigneeChoice[];
}

const rowsOf = (query: string) => `(SELECT coalesce(json_agg(x), '[]') FROM (${query}) x)`;

/** The event's parts; `assignees` only for someone who may reassign it. */
export async function eventPageParts(event: EventRecord, options: { assignees: boolean }): Promise<EventPageParts> {
  const open = event.status === 'open';
  // $1 the event; the earliest date's and the choices' parameters only when they are read (every
  // parameter must appear in the statement for PostgreSQL to know its type).
  const params: unknown[] = [event.id];
  const param = (value: unknown) => `$${params.push(value)}`;
  const earliest = open ? `(${EARLIEST_COMPLETION_SQL(param(event.planItemId), '$1', param(event.scheduledDate))})` : 'NULL::text';
  const choices = options.assignees ? rowsOf(USERS_COVERING_SQL(param(event.facilityId), [event.facilityId])) : `'[]'::json`;
  const [row] = await sql<{
    answers: Answers; documents: Array<DocumentRow & { uploadedAt: string }>; comments: Array<CommentRow & { createdAt: string }>;
    closures: Array<ClosureRow & { closedAt: string }>; history: Array<HistoryRow & { at: string }>; earliest: string | null; choices: AssigneeChoice[];
  }>(
    `SELECT (SELECT coalesce(json_object_agg(x.item_key, x.value), '{}') FROM (${EVENT_ANSWERS_SQL}) x) AS answers,
            ${rowsOf(EVENT_DOCUMENTS_SQL)} AS documents, ${rowsOf(EVENT_COMMENTS_SQL)} AS comments,
            ${rowsOf(EVENT_CLOSURES_SQL)} AS closures, ${rowsOf(EVENT_HISTORY_SQL)} AS history,
            ${earliest} AS earliest, ${choices} AS choices`,
    params,
  );
  const r = row!;
  // JSON carries times as text; the page shows them as the readers' own rows have them, as Dates.
  return {
    answers: r.answers,
    documents: r.documents.map((d) => ({ ...d, uploadedAt: new Date(d.uploadedAt) })),
    comments: r.comments.map((c) => ({ ...c, createdAt: new Date(c.createdAt) })),
    closures: r.closures.map((k) => ({ ...k, closedAt: new Date(k.closedAt) })),
    history: r.history.map((h) => ({ ...h, at: new Date(h.at) })),
    earliest: r.earliest,
    assigneeChoices: r.choices,
  };
}
