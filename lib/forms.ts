// Allowlist parsing of form bodies with zod: only the declared fields are read, every other
// field is ignored, and each problem is reported against its field.
import { z } from 'zod';
import type { FieldErrors } from './errors.ts';

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

export const email = () =>
  z.string({ error: 'Enter your e-mail address.' }).trim().toLowerCase()
    .min(1, 'Enter your e-mail address.')
    .max(254, 'That e-mail address is too long.')
    .pipe(z.email('Enter a valid e-mail address, like name@example.com.'));

/** Passwords are not trimmed; the rule itself (services/auth/passwords.ts) judges them. */
export const password = (label = 'Password') =>
  z.string({ error: `${label} is required.` }).min(1, `${label} is required.`).max(1024, `${label} is too long.`);
