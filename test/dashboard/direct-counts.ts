// The dashboard's figures counted straight from the tables (as the owner, written out by hand
// from DESIGN.md §5 in each facility's zone), and read back from the page.
import { ownerQuery } from '../support/factories.ts';

export interface Counts { overdue: number; dueSoon: number; upcoming: number; closedThisMonth: number; onTime: number; counted: number; recordedLate: number }

/** The figures counted straight from the tables (as the owner) over the user's scope. */
export async function countedDirectly(clientId: string, userId: string): Promise<Counts> {
  const [row] = await ownerQuery<Counts>(
    `WITH s AS (SELECT whole, units::uuid[] AS units FROM app_scope_for($1, $2)),
          ev AS (SELECT e.*, (now() AT TIME ZONE coalesce(f.time_zone, c.time_zone))::date AS today
                   FROM events e JOIN org_units f ON f.id = e.facility_id JOIN clients c ON c.id = e.client_id, s
                  WHERE e.client_id = $1 AND f.active AND (s.whole OR e.facility_id = ANY (s.units)))
     SELECT count(*) FILTER (WHERE status = 'open' AND due_date < today)::int AS overdue,
            count(*) FILTER (WHERE status = 'open' AND due_date >= today AND due_date <= today + 7)::int AS "dueSoon",
            count(*) FILTER (WHERE status = 'open' AND due_date >= today AND due_date <= today + 30)::int AS upcoming,
            count(*) FILTER (WHERE status = 'closed' AND date_trunc('month', completed_on) = date_trunc('month', today))::int AS "closedThisMonth",
            count(*) FILTER (WHERE due_date > today - interval '12 months' AND due_date <= today AND status = 'closed' AND completed_on <= due_date)::int AS "onTime",
            count(*) FILTER (WHERE due_date > today - interval '12 months' AND due_date <= today AND (status = 'closed' OR (status = 'open' AND due_date < today)))::int AS counted,
            count(*) FILTER (WHERE status = 'closed' AND recorded_late AND completed_on > today - interval '12 months')::int AS "recordedLate"
       FROM ev`,
    [clientId, userId],
  );
  return row!;
}

/** The figures as the dashboard shows them, by label. */
export function shown(html: string): Record<string, string> {
  const box = /<div class="figures" id="scope-figures">([\s\S]*?)<\/div>/.exec(html)![1]!;
  const figures: Record<string, string> = {};
  for (const m of box.matchAll(/<p class="figure-value">(?:<a href="[^"]*">)?([^<]*)(?:<\/a>)?<\/p>\s*<p class="figure-label">([^<]*)<\/p>/g)) figures[m[2]!] = m[1]!;
  return figures;
}

/** The scope's figures as the page words them. */
export function expectedFigures(direct: Counts): Record<string, string> {
  const rate = direct.counted ? `${Math.round((direct.onTime / direct.counted) * 1000) / 10}% (${direct.onTime} of ${direct.counted})` : '—';
  return {
    Overdue: String(direct.overdue),
    'Due soon (7 days)': String(direct.dueSoon),
    'Upcoming (30 days)': String(direct.upcoming),
    'Closed this month': String(direct.closedThisMonth),
    'On time, last 12 months': rate,
    'Recorded late': String(direct.recordedLate),
  };
}
