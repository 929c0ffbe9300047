// Allowlist parsing of form bodies with zod: only the declared fields are read, every other
// field is ignored, and each problem is reported against its field.
import { z } from 'zod';
import { type FieldErrors, ValidationError } from './errors.ts';

export type FormResult<T> = { ok: true; data: T } | { ok: false; errors: FieldErrors; values: Record<string, string> };

export function parseForm<S extends z.ZodObject>(schema: S, body: unknown, echo: (keyof z.infer<S>)[] = []): FormResult<z.infer<S>> {
  const source = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const result = schema.safeParse(source);
  if (result.success) return { ok: true, data: result.data };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? 'form');
    errors[field] ??= issue.message;
  }
  // Only fields the caller names are echoed back into the form (never passwords).
  const values = Object.fromEntries(echo.map((k) => [k, typeof source[k as string] === 'string' ? (source[k as string] as string) : '']));
  return { ok: false, errors, values };
}

/** A single-line text field; repeated fields (arrays) and non-strings are refused. */
export const text = (label: string, max = 200) =>
  z.string({ error: `${label} is required.` }).trim().min(1, `${label} is required.`).max(max, `${label} must be at most ${max} characters.`);

/** An e-mail address; `whose` words the missing-value message: "your" on sign-in forms, "the
 *  invitee’s" when someone else's address is asked for. */
export const email = (whose = 'your') =>
  z.string({ error: `Enter ${whose} e-mail address.` }).trim().toLowerCase()
    .min(1, `Enter ${whose} e-mail address.`)
    .max(254, 'That e-mail address is too long.')
    .pipe(z.email('Enter a valid e-mail address, like name@example.com.'));

/** Passwords are not trimmed; the rule itself (services/auth/passwords.ts) judges them. */
export const password = (label = 'Password') =>
  z.string({ error: `${label} is required.` }).min(1, `${label} is required.`).max(1024, `${label} is too long.`);

/** Runs a service call; a ValidationError becomes the form's errors instead of an error page. */
export async function attempt(work: () => Promise<unknown>): Promise<FieldErrors | undefined> {
  try {
    await work();
    return undefined;
  } catch (error) {
    if (error instanceof ValidationError) return { ...error.fields, form: error.fields.form ?? error.message };
    throw error;
  }
}

/** The message for fields a form does not name: tampering is refused visibly, not ignored. */
export const unknownFieldsError = (outcome = 'Nothing was changed.') => (issue: { code: string; keys?: string[] }) =>
  issue.code === 'unrecognized_keys' && issue.keys ? `This form does not accept the field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}. ${outcome}` : undefined;

/** A form that refuses every field it does not name; csurf reads _csrf before the parser. */
export const strictForm = <T extends z.ZodRawShape>(shape: T, outcome?: string) =>
  z.strictObject({ _csrf: z.string().optional(), ...shape }, { error: unknownFieldsError(outcome) });
