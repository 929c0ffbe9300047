// The System page (DESIGN.md §9): the daily log review. What failed in the last 24 hours (server
// errors grouped by kind, failed mail, failed jobs), the generation self-check, the backups'
// status and the update log, each section with a "reviewed" mark for the day that is audited.
import type { Sequelize } from 'sequelize';
import { ValidationError } from '../../lib/errors.ts';
import { type UnitOfWorkContext, inUnitOfWork, sql } from '../../lib/unit-of-work.ts';
import { findItemsWithoutFutureOccurrence } from '../events/generation.ts';
import { audit } from '../audit/entries.ts';
import { type BackupFacts, backupFacts } from './backup-facts.ts';
import { type VersionLogEntry, versionLog } from './versions.ts';

export const REVIEW_SECTIONS = {
  errors: 'Server errors',
  mail: 'Failed mail',
  jobs: 'Failed jobs',
  self_check: 'Generation self-check',
  backups: 'Backups and restore checks',
} as const;
export type ReviewSection = keyof typeof REVIEW_SECTIONS;

export interface ErrorKind { error_name: string | null; status: number | null; count: number; last_at: Date; example_path: string | null }
export interface FailedJob { path: string | null; error_name: string | null; message: string | null; count: number; last_at: Date }
export interface FailedMail { id: string; client_id: string | null; to_address: string; subject: string; kind: string; attempts: number; last_error: string | null; created_at: Date }
export interface Review { section: ReviewSection; reviewed_at: Date; reviewer: string; note: string | null }

export interface SystemReview {
  day: string;
  errors: ErrorKind[];
  jobs: FailedJob[];
  mail: FailedMail[];
  backups: BackupFacts;
  versions: VersionLogEntry[];
  reviews: Partial<Record<ReviewSection, Review>>;
}

/** The review's day: the UTC calendar date (the page says so). */
export const reviewDay = (now: Date) => now.toISOString().slice(0, 10);

/** Everything the page shows but the self-check (which opens its own units of work), in the current unit of work. */
export async function systemReview(now: Date = new Date()): Promise<SystemReview> {
  const since = new Date(now.getTime() - 24 * 60 * 60_000);
  const errors = await sql<ErrorKind>(
    `SELECT error_name, status, count(*)::int AS count, max(occurred_at) AS last_at, (array_agg(path ORDER BY occurred_at DESC))[1] AS example_path
       FROM app_errors WHERE occurred_at >= $1 AND method IS DISTINCT FROM 'JOB'
      GROUP BY error_name, status ORDER BY count(*) DESC, error_name`, [since]);
  const jobs = await sql<FailedJob>(
    `SELECT path, error_name, (array_agg(message ORDER BY occurred_at DESC))[1] AS message, count(*)::int AS count, max(occurred_at) AS last_at
       FROM app_errors WHERE occurred_at >= $1 AND method = 'JOB'
      GROUP BY path, error_name ORDER BY max(occurred_at) DESC`, [since]);
  const mail = await sql<FailedMail>(
    `SELECT id, client_id, to_address, subject, kind, attempts, last_error, created_at FROM admin_mail_outbox(1000)
      WHERE status = 'failed' AND created_at >= $1 ORDER BY created_at DESC`, [since]);
  const reviews = await sql<Review & { section: ReviewSection }>(
    `SELECT r.section, r.reviewed_at, s.name AS reviewer, r.note FROM log_reviews r JOIN staff_users s ON s.id = r.reviewed_by WHERE r.review_day = $1`, [reviewDay(now)]);
  return {
    day: reviewDay(now),
    errors,
    jobs,
    mail,
    backups: await backupFacts(),
    versions: await versionLog(20),
    reviews: Object.fromEntries(reviews.map((r) => [r.section, r])),
  };
}

/** Marks a section reviewed for the day (once a day per section), audited at the vendor level. */
export async function markReviewed(staffId: string, section: string, note: string | null, now: Date = new Date()): Promise<boolean> {
  if (!(section in REVIEW_SECTIONS)) throw new ValidationError({ section: 'Choose a section of the page.' });
  const day = reviewDay(now);
  const inserted = await sql<{ id: string }>(
    `INSERT INTO log_reviews (review_day, section, reviewed_by, note) VALUES ($1, $2, $3, $4) ON CONFLICT (review_day, section) DO NOTHING RETURNING id`,
    [day, section, staffId, note]);
  if (!inserted.length) return false;
  await audit({ action: 'system.reviewed', clientId: null, entityType: 'log_review', entityId: inserted[0]!.id, changes: { day, section, ...(note ? { note } : {}) } });
  return true;
}

export interface SelfCheckLine { clientId: string; clientName: string; items: number; failing: number }

/**
 * The whole page: the review in the staff member's unit of work, then the generation self-check
 * (active plan items without a future occurrence, and failing ones), which reads each client in
 * a system unit of work of its own, as the daily job does.
 */
export async function systemPage(sequelize: Sequelize, context: UnitOfWorkContext, now: Date = new Date()): Promise<SystemReview & { selfCheck: SelfCheckLine[] }> {
  const { review, names } = await inUnitOfWork(sequelize, context, async () => ({
    review: await systemReview(now),
    names: new Map((await sql<{ id: string; name: string }>('SELECT id, name FROM admin_clients()')).map((c) => [c.id, c.name])),
  }));
  const found = await findItemsWithoutFutureOccurrence(sequelize, now);
  const byClient = new Map<string, SelfCheckLine>();
  for (const f of found) {
    const line = byClient.get(f.clientId) ?? { clientId: f.clientId, clientName: names.get(f.clientId) ?? f.clientId, items: 0, failing: 0 };
    if (f.failure) line.failing += 1;
    else line.items += 1;
    byClient.set(f.clientId, line);
  }
  return { ...review, selfCheck: [...byClient.values()].sort((a, b) => a.clientName.localeCompare(b.clientName)) };
}
