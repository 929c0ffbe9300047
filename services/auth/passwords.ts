// The client policy's password rule (DESIGN.md §1, §13) and bcrypt hashing.
import bcrypt from 'bcrypt';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';

/** bcrypt reads only the first 72 bytes; anything longer would be silently truncated. */
export const MAX_PASSWORD_BYTES = 72;

const strength = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...english.dictionary },
  graphs: common.adjacencyGraphs,
  translations: english.translations,
});

export interface PasswordRuleOptions {
  minLength: number;
  /** Words the password must not lean on (the user's e-mail, name). */
  personalWords?: string[];
}

/** Every reason the password breaks the rule, each naming what is missing; empty when it passes. */
export function passwordProblems(password: string, options: PasswordRuleOptions): string[] {
  const problems: string[] = [];
  if ([...password].length < options.minLength) problems.push(`Use at least ${options.minLength} characters.`);
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) problems.push(`Use at most ${MAX_PASSWORD_BYTES} bytes (fewer characters if you use accents or symbols).`);
  if (!/\p{Lu}/u.test(password)) problems.push('Add an upper-case letter.');
  if (!/\p{Ll}/u.test(password)) problems.push('Add a lower-case letter.');
  if (!/\p{Nd}/u.test(password)) problems.push('Add a digit.');
  if (!/[^\p{L}\p{Nd}\s]/u.test(password)) problems.push('Add a special character (such as ! # % & * - ?).');
  if (problems.length === 0) {
    const verdict = strength.check(password, personalTokens(options.personalWords ?? []));
    if (verdict.score < 2) {
      problems.push(`This password is too common or easy to guess.${verdict.feedback.warning ? ` ${verdict.feedback.warning}` : ''}`);
    }
  }
  return problems;
}

/** 'dana.reyes@acme.example' and 'Dana Reyes' → dana, reyes, acme: parts a guesser would try. */
function personalTokens(words: string[]): string[] {
  const parts = words.flatMap((w) => w.toLowerCase().split(/[^\p{L}\p{Nd}]+/u));
  return [...new Set([...words, ...parts.filter((p) => p.length >= 3)])];
}

export function hashPassword(password: string, cost: number): Promise<string> {
  return bcrypt.hash(password, cost);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

const dummyHashes = new Map<number, Promise<string>>();

/** Spends the time of a real comparison, so unknown accounts answer as slowly as known ones. */
export async function spendComparisonTime(password: string, cost: number): Promise<void> {
  let hash = dummyHashes.get(cost);
  if (!hash) dummyHashes.set(cost, (hash = bcrypt.hash('timing-equaliser', cost)));
  await bcrypt.compare(password, await hash);
}
