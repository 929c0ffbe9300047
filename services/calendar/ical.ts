// A feed as an iCalendar file (RFC 5545), through ical-generator (folding, escaping, the all-day
// form calendar applications expect): each open event an all-day VEVENT on its due date (DTEND
// the next day), with a UID that never changes, and a SEQUENCE and LAST-MODIFIED that move when
// its due date or assignee does (the database keeps both), so a subscribed calendar updates it.
import ical from 'ical-generator';
import { addDays } from '../../lib/calendar-dates.ts';
import type { FeedMode } from './settings.ts';

export interface FeedEvent {
  id: string;
  activity: string;
  dueDate: string;
  additionalInformation: string | null;
  facilityName: string;
  assigneeName: string;
  sequence: number;
  lastModified: Date;
}

/** How long a calendar application should wait before fetching again (RFC 7986 REFRESH-INTERVAL). */
const REFRESH_SECONDS = 60 * 60;

export const eventUid = (eventId: string) => `${eventId}@plantrak`;

export function feedCalendar(feed: { name: string; mode: Exclude<FeedMode, 'off'>; baseUrl: string; events: FeedEvent[]; now: Date }): string {
  const calendar = ical({ name: feed.name, prodId: { company: 'SolutionsTRAK', product: 'PlanTRAK', language: 'EN' }, ttl: REFRESH_SECONDS });
  for (const e of feed.events) {
    const full = feed.mode === 'full';
    const link = `${feed.baseUrl}/events/${e.id}`;
    calendar.createEvent({
      id: eventUid(e.id),
      allDay: true,
      start: e.dueDate,
      end: addDays(e.dueDate, 1),
      // Limited to titles and dates: nothing but the activity leaves for the calendar provider.
      summary: full ? `${e.activity} — ${e.facilityName}` : e.activity,
      description: full
        ? [`${e.activity}`, `Facility: ${e.facilityName}`, `Assigned to: ${e.assigneeName}`, e.additionalInformation ? `Additional information: ${e.additionalInformation}` : '', `Open in PlanTRAK: ${link}`]
          .filter(Boolean).join('\n')
        : null,
      url: full ? link : null,
      sequence: e.sequence,
      lastModified: e.lastModified,
      stamp: feed.now,
    });
  }
  return calendar.toString();
}
