// The audit pack (Managers and above): one facility's events due in a period, their close records,
// evidence and a manifest of hashes, as one ZIP. A facility outside the scope, or none of the
// client's, is a 404 (nothing said about it); a missing or impossible date answers the form with
// its message (422).
import type { Request } from 'express';
import { compareDates, isValidDate, todayIn, addDays } from '../lib/calendar-dates.ts';
import { archive, type Outcome, view } from '../lib/outcomes.ts';
import { isUuid } from '../lib/uuid.ts';
import { NotFoundError, type FieldErrors } from '../lib/errors.ts';
import { authorize } from '../policies/index.ts';
import { auditPack } from '../services/exports/audit-pack.ts';
import { facilitiesInScope, findFacilityInScope, levelLabels } from '../services/organisation/hierarchy.ts';
import type { Actor } from '../types/actor.ts';

/** The form's fields, read from the query string (nothing else is read). */
function packQueryOf(query: Request['query']) {
  const field = (name: string) => (typeof query[name] === 'string' ? (query[name] as string).trim().slice(0, 100) : '');
  return { facility: field('facility'), from: field('from'), to: field('to') };
}

function periodErrors(from: string, to: string): FieldErrors {
  const errors: FieldErrors = {};
  if (!from) errors.from = 'Enter the first due date of the period (YYYY-MM-DD).';
  else if (!isValidDate(from)) errors.from = `“${from}” is not a date: write it as YYYY-MM-DD, like 2026-01-01.`;
  if (!to) errors.to = 'Enter the last due date of the period (YYYY-MM-DD).';
  else if (!isValidDate(to)) errors.to = `“${to}” is not a date: write it as YYYY-MM-DD, like 2026-12-31.`;
  if (!errors.from && !errors.to && compareDates(from, to) > 0) errors.to = `The period ends (${to}) before it begins (${from}): choose a last date on or after the first.`;
  if (Object.keys(errors).length) errors.form = 'The audit pack was not made: correct the period below.';
  return errors;
}

export function auditPacksController() {
  async function formPage(actor: Actor, values: { facility: string; from: string; to: string }, errors: FieldErrors = {}, status = 200): Promise<Outcome> {
    return view('reports/audit-pack', { title: 'Audit pack', facilities: await facilitiesInScope(), labels: levelLabels(actor.client), values, errors }, status);
  }

  return {
    // GET /reports/audit-pack?facility=… — the form (a facility and a period).
    async form(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'reports.view');
      const today = todayIn(actor.client.timeZone);
      const { facility } = packQueryOf(req.query);
      return formPage(actor, { facility: isUuid(facility) ? facility : '', from: addDays(today, -364), to: today });
    },

    // GET /reports/audit-pack/pack.zip?facility=…&from=…&to=… — the pack itself.
    async download(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'reports.view');
      const values = packQueryOf(req.query);
      if (!values.facility) return formPage(actor, values, { facility: 'Choose a facility.', form: 'The audit pack was not made: choose a facility.' }, 422);
      if (!isUuid(values.facility)) throw new NotFoundError();
      const facility = await findFacilityInScope(values.facility);
      const errors = periodErrors(values.from, values.to);
      if (Object.keys(errors).length) return formPage(actor, values, errors, 422);
      return archive(auditPack(actor.client, facility, { from: values.from, to: values.to }));
    },
  };
}
