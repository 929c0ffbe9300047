// A one-shot message leaves the session before the page showing it goes out. Were it removed
// only as the response ends, the browser would have the page while the session still held the
// message, and a quick next request (a click on Close) would show it a second time.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createClient, createUser } from '../support/factories.ts';
import { testEnv } from '../support/env.ts';
import { csrfFrom, sessionCookie, testApp } from '../support/http.ts';

/** Resolves with the first body bytes, or with null when none came within `ms`. */
function firstBytes(url: string, cookie: string, ms: number): { first: Promise<string | null>; done: Promise<string> } {
  let resolveFirst: (v: string | null) => void;
  const first = new Promise<string | null>((r) => { resolveFirst = r; });
  const timer = setTimeout(() => resolveFirst(null), ms);
  const done = new Promise<string>((resolve, reject) => {
    http.get(url, { headers: { cookie } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { clearTimeout(timer); resolveFirst(c.toString()); body += c.toString(); });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
  return { first, done };
}

/** The app listening on a free port, and an Administrator signed in through the real form (the
 *  redirect after sign-in carries no message); `cookie` is their session cookie. */
async function signedInServer() {
  const client = await createClient();
  const user = await createUser(client, { rank: 'administrator' });
  const server = http.createServer(testApp()).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const cookieOf = (res: Response) => sessionCookie({ headers: { 'set-cookie': res.headers.getSetCookie() } })!.split(';')[0]!;
  const login = await fetch(`${base}/login`);
  const signedIn = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { cookie: cookieOf(login), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrfFrom(await login.text()), email: user.email, password: user.password }) });
  return { server, base, user, cookie: cookieOf(signedIn) };
}

describe('flash messages', () => {
  it('are stored before the redirect that leads to them is sent', async () => {
    const { server, base, user, cookie } = await signedInServer();
    const lock = await testEnv().owner.connect();
    try {
      const form = await (await fetch(`${base}/settings/levels`, { headers: { cookie } })).text();
      // Hold the user's session row: saving the message waits behind this lock.
      await lock.query('BEGIN');
      await lock.query(`SELECT sid FROM session WHERE sess::text LIKE $1 FOR UPDATE`, [`%${user.id}%`]);
      let answered = false;
      const saving = fetch(`${base}/settings/levels`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrfFrom(form), region: 'Area', division: 'District', facility: 'Site' }) }).then((r) => { answered = true; return r; });
      await new Promise((r) => setTimeout(r, 700));
      expect(answered, 'no redirect before its message is stored').to.equal(false);
      await lock.query('COMMIT');
      const res = await saving;
      expect(res.status).to.equal(303);
      const [row] = (await lock.query<{ sess: string }>(`SELECT sess::text FROM session WHERE sess::text LIKE $1`, [`%${user.id}%`])).rows;
      expect(row!.sess).to.include('level names were saved');
    } finally {
      await lock.query('ROLLBACK').catch(() => undefined);
      lock.release();
      server.close();
    }
  });

  it('are gone from the stored session before any byte of the page that shows them is sent', async () => {
    const { server, base, cookie } = await signedInServer();
    const lock = await testEnv().owner.connect();
    try {
      // Make a message: saving the level names redirects with "The level names were saved."
      // waiting in the session.
      const form = await (await fetch(`${base}/settings/levels`, { headers: { cookie } })).text();
      const saved = await fetch(`${base}/settings/levels`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrfFrom(form), region: 'Area', division: 'District', facility: 'Site' }) });
      expect(saved.status).to.equal(303);
      // Hold the session row: the page's save of the session waits behind this lock.
      await lock.query('BEGIN');
      const [row] = (await lock.query<{ sid: string }>(`SELECT sid FROM session WHERE sess::text LIKE '%level names were saved%' FOR UPDATE`)).rows;
      expect(row, 'the message waits in the session').to.not.equal(undefined);
      const page = firstBytes(`${base}/units`, cookie, 700);
      expect(await page.first, 'no byte of the page before its session is saved').to.equal(null);
      await lock.query('COMMIT');
      expect(await page.done).to.include('The level names were saved.');
      const [after] = (await lock.query<{ sess: string }>('SELECT sess::text FROM session WHERE sid = $1', [row!.sid])).rows;
      expect(after!.sess).not.to.include('level names were saved');
    } finally {
      await lock.query('ROLLBACK').catch(() => undefined);
      lock.release();
      server.close();
    }
  });
});
