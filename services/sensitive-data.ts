// The confirm-before-saving step for free text that looks like health data (DESIGN.md §8.6), and
// the count kept for the admin report: which form, which kinds, who; never the text.
import { ValidationError } from '../lib/errors.ts';
import { currentUnit, sql } from '../lib/unit-of-work.ts';
import { findSensitiveData, sensitiveDataWarning, type SensitiveKind } from '../lib/sensitive-data.ts';

/** The form field carrying the user's confirmation. */
export const CONFIRM_FIELD = 'confirmSensitive';

/**
 * Call before saving a form's free text. No pattern: nothing happens. A pattern without the
 * confirmation: a 422 whose `confirmSensitive` field error is the warning (nothing is saved). With
 * it: the save goes ahead and the warning is counted, in the same unit of work as the save.
 */
export async function checkSensitiveData(form: string, confirmed: boolean, ...texts: Array<string | null | undefined>): Promise<SensitiveKind[]> {
  const kinds = findSensitiveData(...texts);
  if (kinds.length === 0) return kinds;
  if (!confirmed) throw new ValidationError({ [CONFIRM_FIELD]: sensitiveDataWarning(kinds) }, sensitiveDataWarning(kinds));
  const { context } = currentUnit();
  await sql(`INSERT INTO sensitive_data_warnings (client_id, user_id, form, kinds) VALUES (app_current_client(), $1, $2, $3::text[])`, [
    context.actorKind === 'user' ? context.userId ?? null : null,
    form,
    kinds,
  ]);
  return kinds;
}
