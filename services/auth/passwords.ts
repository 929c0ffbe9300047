// The client policy's password rule (DESIGN.md §1, §13) and bcrypt hashing, a bounded number
// of hashes at once (a burst of sign-ins must not take every core and libuv thread).
import bcrypt from 'bcrypt';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';
import { ConcurrencyGate, GateFullError } from '../../lib/concurrency-gate.ts';
import { ServiceUnavailableError } from '../../lib/errors.ts';

/** bcrypt reads only the first 72 bytes; anything longer would be silently truncated. */
export const MAX_PASSWORD_BYTES = 72;

const strength = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...english.dictionary },
  graphs: common.adjacencyGraphs,
  translations: english.translations,
});

export interface PasswordRuleOptions {
  minLength: number;
  /** The user's e-mail address and name: the password must not contain a part of either (an
   *  e-mail address contributes its local part), and zxcvbn is told about them too. */
  personalWords?: string[];
}

/** Parts of a name or e-mail this long or longer may not appear in the password. */
export const PERSONAL_TOKEN_MIN_LENGTH = 4;

/** Lower case, compatibility-folded, letters and digits only: 'Port.Manager-1' → 'portmanager1'. */
const folded = (text: string) => text.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

/** 'port.manager@acme.example' and 'Dana Reyes' → port, manager, dana, reyes: the local part of
 *  an e-mail address and every word of a name, split at anything but a letter or digit. */
function hardPersonalTokens(words: string[]): string[] {
  const tokens = words.flatMap((word) => {
    const at = word.lastIndexOf('@');
    const part = at >= 0 ? word.slice(0, at) : word;
    return part.normalize('NFKC').toLowerCase().split(/[^\p{L}\p{N}]+/u);
  });
  return [...new Set(tokens.filter((t) => [...t].length >= PERSONAL_TOKEN_MIN_LENGTH))];
}

/** The first part of the user's name or e-mail address the password contains, if any. */
export function personalTokenIn(password: string, personalWords: string[]): string | undefined {
  const haystack = folded(password);
  return hardPersonalTokens(personalWords).find((token) => haystack.includes(token));
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
  const personal = personalTokenIn(password, options.personalWords ?? []);
  if (personal) problems.push(`Do not build the password from your name or e-mail address (it contains “${personal}”).`);
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

/** libuv's threadpool is one per process, so the bcrypt limit is too. Until an app sets it from
 *  its configuration (limitPasswordHashing), scripts hash one at a time. */
let gate = new ConcurrencyGate(1, 1_000);

export function limitPasswordHashing(limits: { concurrency: number; queueMax: number }): void {
  gate = new ConcurrencyGate(limits.concurrency, limits.queueMax);
}

/** bcrypt work running and waiting now, and the most that may run at once. */
export function passwordHashingLoad(): { running: number; waiting: number; limit: number } {
  return { running: gate.running, waiting: gate.waiting, limit: gate.limit };
}

export const BUSY_MESSAGE = 'Too many sign-ins at once. Try again in a moment.';
/** A few seconds: the queue moves by a few sign-ins a second on every slot. */
export const BUSY_RETRY_AFTER_SECONDS = 5;

/** Every bcrypt call goes through here: it waits for a slot, or is refused (503) when too many wait. */
async function gated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await gate.run(work);
  } catch (error) {
    if (error instanceof GateFullError) throw new ServiceUnavailableError(BUSY_MESSAGE, BUSY_RETRY_AFTER_SECONDS);
    throw error;
  }
}

export function hashPassword(password: string, cost: number): Promise<string> {
  return gated(() => bcrypt.hash(password, cost));
}

/** Whether the password matches the hash. A password over 72 bytes never matches: bcrypt would
 *  compare only its first 72 bytes, so anything could follow them. The comparison still runs,
 *  so a refusal takes as long as any other. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const matches = await gated(() => bcrypt.compare(password, hash));
  return matches && Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES;
}

const dummyHashes = new Map<number, Promise<string>>();

/** Spends the time of a real comparison, so unknown accounts answer as slowly as known ones
 *  (waiting for the same gate too). */
export async function spendComparisonTime(password: string, cost: number): Promise<void> {
  let hash = dummyHashes.get(cost);
  if (!hash) {
    // Made once per cost; a failed attempt (a full gate) is not kept, so the next one retries.
    hash = gated(() => bcrypt.hash('timing-equaliser', cost));
    dummyHashes.set(cost, hash);
    hash.catch(() => dummyHashes.get(cost) === hash && dummyHashes.delete(cost));
  }
  const dummy = await hash;
  await gated(() => bcrypt.compare(password, dummy));
}
