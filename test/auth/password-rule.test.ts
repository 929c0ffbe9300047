// The password rule (DESIGN.md §1, §8.3, §13): composition, length in characters, the 72-byte
// bcrypt limit, and refusal of common passwords — as a function and through the real form.
import { expect } from 'chai';
import { MAX_PASSWORD_BYTES, passwordProblems } from '../../services/auth/passwords.ts';
import { changePasswordForm } from '../support/auth-helpers.ts';
import { createClient, createUser, ownerQuery, VALID_PASSWORD } from '../support/factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';

const RULE = { minLength: 8 };
const UPPER = 'Add an upper-case letter.';
const LOWER = 'Add a lower-case letter.';
const DIGIT = 'Add a digit.';
const SPECIAL = 'Add a special character (such as ! # % & * - ?).';
const TOO_LONG = 'Use at most 72 bytes (fewer characters if you use accents or symbols).';
const TOO_COMMON = /^This password is too common or easy to guess\./;
/** Since the hard rule on parts of the name and e-mail, these say so instead of only scoring low. */
const PERSONAL = /^Do not build the password from your name or e-mail address/;

/** A varied ASCII password of exactly `bytes` bytes that passes every other check. */
const asciiOf = (bytes: number) => 'Aa1!Quartz-Lantern-Ember-Violet-Rocket-Harbor-Maple-Cobalt-Thistle-Zephyr-Orbit-Fjord'.slice(0, bytes);

describe('password rule', () => {
  it('accepts a password that meets every requirement', () => {
    expect(passwordProblems('Quartz-Lantern-47!', RULE)).to.deep.equal([]);
  });

  it('refuses each missing character class with a message that names it', () => {
    expect(passwordProblems('quartz-lantern-47!', RULE)).to.deep.equal([UPPER]);
    expect(passwordProblems('QUARTZ-LANTERN-47!', RULE)).to.deep.equal([LOWER]);
    expect(passwordProblems('Quartz-Lantern-xy!', RULE)).to.deep.equal([DIGIT]);
    expect(passwordProblems('QuartzLantern47', RULE)).to.deep.equal([SPECIAL]);
  });

  it('lists every problem at once', () => {
    expect(passwordProblems('lantern', RULE)).to.deep.equal(['Use at least 8 characters.', UPPER, DIGIT, SPECIAL]);
  });

  it('refuses a password shorter than the configured minimum, counting characters', () => {
    expect(passwordProblems('Qz-4!ab', RULE)).to.deep.equal(['Use at least 8 characters.']);
    expect(passwordProblems('Qz-4!abc', RULE)).to.deep.equal([]);
    expect(passwordProblems('Quartz-Lantern-47!', { minLength: 20 })).to.deep.equal(['Use at least 20 characters.']);
    // Three emoji are three characters (six UTF-16 units): 7 characters in all.
    expect(passwordProblems('Aa1!😀😀😀', RULE)).to.deep.equal(['Use at least 8 characters.']);
  });

  it('accepts exactly 72 bytes and refuses 73, since bcrypt ignores what follows byte 72', () => {
    expect(MAX_PASSWORD_BYTES).to.equal(72);
    expect(Buffer.byteLength(asciiOf(72))).to.equal(72);
    expect(passwordProblems(asciiOf(72), RULE)).to.deep.equal([]);
    expect(passwordProblems(asciiOf(73), RULE)).to.deep.equal([TOO_LONG]);
    expect(passwordProblems(`Aa1!${'x'.repeat(69)}`, RULE)).to.deep.equal([TOO_LONG]);
  });

  it('counts bytes, not characters: 39 accented characters are 74 bytes', () => {
    const accented = `Aa1!${'é'.repeat(35)}`;
    expect([...accented].length).to.equal(39);
    expect(Buffer.byteLength(accented)).to.equal(74);
    expect(passwordProblems(accented, RULE)).to.deep.equal([TOO_LONG]);
  });

  for (const common of ['Password1!', 'P@ssw0rd1', 'Qwerty123!']) {
    it(`refuses the common password ${common} although it has every character class`, () => {
      const problems = passwordProblems(common, RULE);
      expect(problems).to.have.length(1);
      expect(problems[0]).to.match(TOO_COMMON);
    });
  }

  it('refuses a password built on a word the user must not lean on', () => {
    expect(passwordProblems('Zorvathine7!', RULE)).to.deep.equal([]);
    const problems = passwordProblems('Zorvathine7!', { ...RULE, personalWords: ['zorvathine'] });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(PERSONAL);
  });

  it('refuses a password built on part of the user\'s name or e-mail, not only on the whole of it', () => {
    const personalWords = ['zorvathine.quellmark@acme.example', 'Zorvathine Quellmark'];
    expect(passwordProblems('Quellmark42!', RULE)).to.deep.equal([]);
    expect(passwordProblems('Quellmark42!', { ...RULE, personalWords })[0]).to.match(PERSONAL);
    expect(passwordProblems('Zorvathine7!', { ...RULE, personalWords })[0]).to.match(PERSONAL);
  });

  describe('through the change-password form', () => {
    const refusals: [string, string, string][] = [
      ['no upper-case letter', 'quartz-lantern-47!', UPPER],
      ['no lower-case letter', 'QUARTZ-LANTERN-47!', LOWER],
      ['no digit', 'Quartz-Lantern-xy!', DIGIT],
      ['no special character', 'QuartzLantern47', 'Add a special character (such as ! # % &amp; * - ?).'],
      ['too short', 'Qz-4!ab', 'Use at least 8 characters.'],
      ['73 bytes', asciiOf(73), TOO_LONG],
      ['too common', 'Password1!', 'This password is too common or easy to guess.'],
    ];

    it('answers 422 naming the problem, and keeps the old password', async () => {
      const client = await createClient();
      const user = await createUser(client);
      const agent = await signedInAgent(testApp(), user.email, user.password);
      const [before] = await ownerQuery<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [user.id]);

      for (const [what, candidate, message] of refusals) {
        const res = await changePasswordForm(agent, VALID_PASSWORD, candidate);
        expect(res.status, what).to.equal(422);
        expect(res.text, what).to.include(`<small id="newPassword-error" class="field-error">${message}`);
      }

      const [after] = await ownerQuery<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [user.id]);
      expect(after.password_hash).to.equal(before.password_hash);
    });

    it('honours a raised PASSWORD_MIN_LENGTH', async () => {
      const client = await createClient();
      const user = await createUser(client);
      const agent = await signedInAgent(testApp({ PASSWORD_MIN_LENGTH: '20' }), user.email, user.password);
      const page = await agent.get('/account/password').expect(200);
      expect(page.text).to.include('At least 20 characters (at most 72 bytes)');
      const res = await changePasswordForm(agent, VALID_PASSWORD, 'Amber-Fjord-Piston-92');
      expect(res.status).to.equal(303);
      const short = await changePasswordForm(agent, 'Amber-Fjord-Piston-92', 'Amber-Fjord-Pist-92');
      expect(short.status).to.equal(422);
      expect(short.text).to.include('Use at least 20 characters.');
    });
  });
});
