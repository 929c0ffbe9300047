// The mail a notice goes out in: the daily digest, an assignment sent at once, an escalation
// beyond the first level and the weekly summary. Each is multipart: plain text, and HTML from one
// EJS template whose stylesheet juice inlines once, at load, for Outlook and Gmail. A message
// carries what the work needs (activity, facility, dates, the Additional Information) and a
// link; never a document, a password or a token other than its own unsubscribe link.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import juice from 'juice';
import { daysBetween } from '../../lib/calendar-dates.ts';
import type { NotificationKind } from './planner.ts';

export interface NoticeLine {
  text: string;
  emphasis?: boolean;
}

export interface NoticeItem {
  title: string;
  href?: string;
  lines: NoticeLine[];
  info?: string | null;
}

export interface NoticeSection {
  heading: string;
  items: NoticeItem[];
}

export interface NoticeMessage {
  subject: string;
  title: string;
  intro: string[];
  sections: NoticeSection[];
  footer: Array<{ text: string; href?: string }>;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const TEMPLATE = path.resolve(import.meta.dirname, '../../views/mail/notice.ejs');
// Inlined once: juice leaves the template's EJS tags alone and moves the stylesheet into
// style attributes, so each message is only an EJS render.
const renderHtml = ejs.compile(juice(readFileSync(TEMPLATE, 'utf8')), { filename: TEMPLATE });

export function renderNotice(message: NoticeMessage): RenderedMail {
  const lines: string[] = [message.title, '', ...message.intro.flatMap((l) => [l, ''])];
  for (const section of message.sections) {
    lines.push(section.heading.toUpperCase(), '');
    for (const item of section.items) {
      lines.push(`* ${item.title}`, ...item.lines.map((l) => `  ${l.text}`));
      if (item.info) lines.push(...item.info.split('\n').map((l) => `  | ${l}`));
      if (item.href) lines.push(`  ${item.href}`);
      lines.push('');
    }
  }
  lines.push('--', ...message.footer.map((f) => (f.href ? `${f.text}: ${f.href}` : f.text)));
  return { subject: message.subject, text: `${lines.join('\n')}\n`, html: renderHtml(message) };
}

/** One notice of a digest or message, with what it is about. */
export interface NoticeRow {
  id: string;
  kind: NotificationKind;
  level: number | null;
  eventId: string | null;
  planItemId: string | null;
  activity: string | null;
  facilityName: string | null;
  dueDate: string | null;
  /** The facility's today when the message is made. */
  today: string | null;
  additionalInformation: string | null;
  assigneeName: string | null;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A notice as an item: the title links to the event (or plan item), the lines say where and when. */
export function noticeItem(row: NoticeRow, baseUrl: string): NoticeItem {
  const href = row.eventId ? `${baseUrl}/events/${row.eventId}` : row.planItemId ? `${baseUrl}/plan-items/${row.planItemId}` : undefined;
  const lines: NoticeLine[] = [{ text: row.facilityName ?? '' }];
  if (row.dueDate && row.today) {
    const days = daysBetween(row.today, row.dueDate);
    if (days < 0) lines.push({ text: `Due ${row.dueDate}: ${plural(-days, 'day')} overdue`, emphasis: true });
    else if (days === 0) lines.push({ text: `Due today, ${row.dueDate}` });
    else lines.push({ text: `Due ${row.dueDate}, in ${plural(days, 'day')}` });
  }
  if (row.kind === 'escalation' && row.assigneeName) lines.push({ text: `Assigned to ${row.assigneeName}` });
  if (row.kind === 'assignment' && !row.eventId) lines.push({ text: row.dueDate ? `This Plan Item is now yours; its next event is due ${row.dueDate}.` : 'This Plan Item is now yours.' });
  return { title: row.activity ?? 'An obligation', href, lines, info: row.additionalInformation ? `Additional information: ${row.additionalInformation}` : null };
}

/** A section lists at most this many notices; the rest are counted, with a link to all of them
 *  (a message of thousands of lines is one nobody reads). Every notice is in the ledger anyway. */
export const SECTION_MAX = 30;

function section(heading: string, rows: NoticeRow[], baseUrl: string, moreHref: string): NoticeSection {
  const items = rows.slice(0, SECTION_MAX).map((r) => noticeItem(r, baseUrl));
  const more = rows.length - items.length;
  if (more > 0) items.push({ title: `…and ${plural(more, 'more')}`, href: moreHref, lines: [{ text: `${rows.length} in all; the link lists every one.` }] });
  return { heading, items };
}

/** Where the rest of a group is listed. */
const MORE: Partial<Record<NotificationKind, string>> = { overdue: '/events?status=overdue', due_today: '/events', reminder: '/events', assignment: '/events' };

/** The digest's groups, in the order they are read: what is late first. */
const DIGEST_GROUPS: Array<{ heading: string; kinds: NotificationKind[] }> = [
  { heading: 'Overdue', kinds: ['overdue'] },
  { heading: 'Due today', kinds: ['due_today'] },
  { heading: 'Coming up', kinds: ['reminder'] },
  { heading: 'Newly assigned to you', kinds: ['assignment'] },
  { heading: 'Escalated to you: overdue in your scope', kinds: ['escalation'] },
];

export interface Recipient {
  name: string;
  /** The recipient's zone and digest hour, for the footer. */
  timeZone: string;
  digestHour: number;
}

function footer(recipient: Recipient, baseUrl: string, unsubscribe?: { href: string; what: string }) {
  const lines: NoticeMessage['footer'] = [
    { text: `One digest a day at ${String(recipient.digestHour).padStart(2, '0')}:00 (${recipient.timeZone}). Change the hour, your time zone or the optional messages`, href: `${baseUrl}/account/notifications` },
  ];
  if (unsubscribe) lines.push({ text: `Stop ${unsubscribe.what}`, href: unsubscribe.href });
  lines.push({ text: 'PlanTRAK is not for health (HIPAA) data.' });
  return lines;
}

export function digestMail(recipient: Recipient, rows: NoticeRow[], localDate: string, baseUrl: string): RenderedMail {
  const sections = DIGEST_GROUPS
    .map((g) => section(g.heading, rows.filter((r) => g.kinds.includes(r.kind)), baseUrl, `${baseUrl}${MORE[g.kinds[0]!] ?? '/account/notifications'}`))
    .filter((s) => s.items.length);
  const overdue = rows.filter((r) => r.kind === 'overdue').length;
  const subject = overdue ? `PlanTRAK: ${plural(overdue, 'overdue obligation')} and ${plural(rows.length - overdue, 'other notice')}` : `PlanTRAK: ${plural(rows.length, 'notice')} for ${localDate}`;
  return renderNotice({
    subject,
    title: `Your PlanTRAK digest for ${localDate}`,
    intro: [`Hello ${recipient.name},`, 'Here is what needs your attention.'],
    sections,
    footer: footer(recipient, baseUrl),
  });
}

export function assignmentMail(recipient: Recipient, rows: NoticeRow[], baseUrl: string): RenderedMail {
  return renderNotice({
    subject: rows.length === 1 ? `PlanTRAK: assigned to you, due soon: ${rows[0]!.activity}` : `PlanTRAK: ${rows.length} obligations assigned to you, due soon`,
    title: 'Assigned to you, due soon',
    intro: [`Hello ${recipient.name},`, 'These were just assigned to you and fall due within days, so they come now rather than in your next digest.'],
    sections: [section('Newly assigned to you', rows, baseUrl, `${baseUrl}/events`)],
    footer: footer(recipient, baseUrl),
  });
}

export function escalationMail(recipient: Recipient, rows: NoticeRow[], baseUrl: string, unsubscribeHref: string): RenderedMail {
  return renderNotice({
    subject: `PlanTRAK escalation: ${plural(rows.length, 'obligation')} overdue in your scope`,
    title: 'Overdue in your scope',
    intro: [`Hello ${recipient.name},`, 'These have stayed overdue long enough to reach you. The assignee and their managers have been told already.'],
    sections: [section('Escalated to you', rows, baseUrl, `${baseUrl}/account/notifications`)],
    footer: footer(recipient, baseUrl, { href: unsubscribeHref, what: 'escalations beyond the first level (one click)' }),
  });
}

export interface ScopeSummary {
  open: number;
  dueNext14: number;
  overdue: number;
  closedLastWeek: number;
  onTime: number;
  counted: number;
  /** The worst facilities by overdue count. */
  facilities: Array<{ name: string; overdue: number; open: number }>;
}

export function summaryMail(recipient: Recipient, summary: ScopeSummary, weekOf: string, baseUrl: string, unsubscribeHref: string): RenderedMail {
  const rate = summary.counted ? `${Math.round((summary.onTime / summary.counted) * 1000) / 10}% (${summary.onTime} of ${summary.counted})` : 'nothing was due';
  return renderNotice({
    subject: `PlanTRAK weekly summary: ${summary.overdue} overdue, ${summary.dueNext14} due in the next 14 days`,
    title: `Your week in PlanTRAK, from ${weekOf}`,
    intro: [`Hello ${recipient.name},`, 'Where the facilities in your scope stand.'],
    sections: [
      {
        heading: 'In your scope',
        items: [
          { title: `${summary.open} open`, lines: [{ text: `${summary.overdue} overdue`, emphasis: summary.overdue > 0 }, { text: `${summary.dueNext14} due in the next 14 days` }] },
          { title: `${summary.closedLastWeek} closed last week`, lines: [{ text: `On time over the last 12 months: ${rate}` }] },
        ],
      },
      ...(summary.facilities.length
        ? [{ heading: 'Most overdue facilities', items: summary.facilities.map((f) => ({ title: f.name, lines: [{ text: `${f.overdue} overdue of ${f.open} open`, emphasis: true }] })) }]
        : []),
    ],
    footer: footer(recipient, baseUrl, { href: unsubscribeHref, what: 'the weekly summary (one click)' }),
  });
}
