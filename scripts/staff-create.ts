// npm run staff:create [-- --role technical_director|application_developer|client_representative]
// Creates an active vendor staff account (by default the first Technical Director). Asks for the
// e-mail, name and password (typed twice, not shown); never takes a password on the command line,
// where shell history and process lists would keep it. Reads answers line by line from a pipe.
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { z } from 'zod';
import { loadConfig } from '../config/index.ts';
import { ValidationError } from '../lib/errors.ts';
import { email, text } from '../lib/forms.ts';
import { setLogLevel } from '../lib/logger.ts';
import { inUnitOfWork } from '../lib/unit-of-work.ts';
import { initModels, openDatabase } from '../models/index.ts';
import { STAFF_ROLE_LABELS, STAFF_ROLES, type StaffRole } from '../models/staff-user.ts';
import { prepareDatabase } from '../services/database/bootstrap.ts';
import { passwordProblems } from '../services/auth/passwords.ts';
import { createStaffMember } from '../services/staff/accounts.ts';
import { runScript, say } from './cli.ts';

const USAGE = `usage: npm run staff:create [-- --role ${STAFF_ROLES.join('|')}]`;

function parseArgs(args: string[]): StaffRole {
  let role: string = 'technical_director';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (/^--password(=|$)/.test(arg) || /^-p$/.test(arg)) {
      throw new Error('Passwords are never taken on the command line (shell history and process lists would keep them). Run the command without it: it asks for the password and does not show what you type.');
    }
    if (arg === '--role') role = args[++i] ?? '';
    else if (arg.startsWith('--role=')) role = arg.slice('--role='.length);
    else throw new Error(`unknown argument "${arg}"\n${USAGE}`);
  }
  if (!(STAFF_ROLES as readonly string[]).includes(role)) throw new Error(`unknown role "${role}"\n${USAGE}`);
  return role as StaffRole;
}

/** Questions on a terminal (passwords not echoed), or lines from a pipe. */
function prompter() {
  const tty = Boolean(process.stdin.isTTY);
  let muted = false;
  const output = new Writable({
    write(chunk, encoding, done) {
      if (!muted) process.stdout.write(chunk, encoding);
      done();
    },
  });
  const rl = readline.createInterface({ input: process.stdin, output: tty ? output : undefined, terminal: tty });
  const lines = tty ? undefined : rl[Symbol.asyncIterator]();
  return {
    async ask(question: string, hidden = false): Promise<string> {
      if (lines) {
        say(question);
        const next = await lines.next();
        if (next.done) throw new Error('input ended before every answer was given; nothing was created.');
        return String(next.value);
      }
      const answer = new Promise<string>((resolve) => rl.question(question, resolve));
      muted = hidden;
      const value = await answer;
      muted = false;
      if (hidden) process.stdout.write('\n');
      return value;
    },
    close: () => rl.close(),
  };
}

/** A field's answer checked like the web form checks it. */
function checked<T>(schema: z.ZodType<T>, value: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`${result.error.issues[0]?.message ?? 'invalid answer'} Nothing was created.`);
  return result.data;
}

runScript(async () => {
  const role = parseArgs(process.argv.slice(2));
  const config = loadConfig();
  setLogLevel(config.logLevel);
  say(`Creating a ${STAFF_ROLE_LABELS[role]} account.`);
  const input = prompter();
  let answers: { email: string; name: string; password: string };
  try {
    const address = checked(email(), await input.ask('E-mail: '));
    const name = checked(text('Name'), await input.ask('Name: '));
    const password = await input.ask('Password (not shown): ', true);
    const problems = passwordProblems(password, { minLength: config.passwordMinLength, personalWords: [address, name] });
    if (problems.length) throw new Error(`That password breaks the rule: ${problems.join(' ')} Nothing was created.`);
    if ((await input.ask('Password again: ', true)) !== password) throw new Error('The two passwords do not match. Nothing was created.');
    answers = { email: address, name, password };
  } finally {
    input.close();
  }

  const prepared = await prepareDatabase(config, say);
  const db = openDatabase(prepared.urls, 2);
  initModels(db.sequelize);
  try {
    const staff = await inUnitOfWork(db.sequelize, { actorKind: 'system' }, () => createStaffMember(config, { ...answers, role }));
    say(`Created ${STAFF_ROLE_LABELS[staff.role]} ${staff.name} <${staff.email}> (active).`);
    say(`Sign in at ${config.baseUrl}/admin/login; the first sign-in sets up an authenticator app (required for staff).`);
  } catch (error) {
    if (error instanceof ValidationError) throw new Error(`${Object.values(error.fields).join(' ')} Nothing was created.`);
    throw error;
  } finally {
    await db.close();
    await prepared.stop();
  }
});
