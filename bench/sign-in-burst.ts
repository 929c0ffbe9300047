// The sign-in burst section of bench/pages.ts (DESIGN.md §12: a burst of sign-ins must not push
// other pages' p99 up). `burst` fixture users sign in at the same instant through the real form,
// each its own client (GET /login for the token and cookie first, then all the POSTs at once),
// with their passwords hashed at the app's own bcrypt cost, while autocannon loads a signed-in
// page at a few connections. The same page under the same load alone first, for comparison.
// Latencies of the page are taken from autocannon's responses that completed inside the burst.
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import bcrypt from 'bcrypt';
import type pg from 'pg';
import { benchHttp } from './http.ts';

export interface SignInBurstOptions {
  port: number;
  owner: pg.Client;
  clientId: string;
  /** Users not to touch (the ones the other sections sign in as). */
  keepUserIds: string[];
  password: string;
  /** The app's BCRYPT_COST: the burst users' hashes are made at it. */
  bcryptCost: number;
  burst: number;
  /** autocannon's connections on the signed-in page. */
  connections: number;
  /** Seconds of the page alone, before the burst. */
  aloneSeconds: number;
  page: { label: string; path: string; cookie: string };
  say: (line?: string) => void;
}

export interface SignInBurstResult {
  signIns: { p50: number; p99: number; max: number; statuses: Record<string, number>; wallMs: number };
  pageAlone: { p50: number; p99: number; requests: number; failures: number };
  pageDuringBurst: { p50: number; p99: number; requests: number; failures: number };
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN);

interface PageLoad {
  /** Response times (ms) of the responses completed since `from`, and their failures. */
  since(from: number): { times: number[]; failures: number };
  stop(): Promise<void>;
}

function loadPage(url: string, cookie: string, connections: number): PageLoad {
  const responses: Array<{ at: number; ms: number; ok: boolean }> = [];
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const instance = autocannon({ url, connections, duration: 600, headers: { cookie } }, () => finished());
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    responses.push({ at: performance.now(), ms: responseTime, ok: statusCode === 200 });
  });
  return {
    since(from) {
      const inside = responses.filter((r) => r.at >= from);
      return { times: inside.map((r) => r.ms).sort((a, b) => a - b), failures: inside.filter((r) => !r.ok).length };
    },
    async stop() {
      instance.stop();
      await done;
    },
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function signInBurst(o: SignInBurstOptions): Promise<SignInBurstResult> {
  const { rows: users } = await o.owner.query<{ id: string; email: string }>(
    `SELECT id, email FROM users WHERE client_id = $1 AND status = 'active' AND NOT (id = ANY($2::uuid[])) ORDER BY email LIMIT $3`,
    [o.clientId, o.keepUserIds, o.burst],
  );
  if (users.length < o.burst) throw new Error(`only ${users.length} active users for a burst of ${o.burst}`);
  // The fixture hashes at cost 4 (cheap set-up); a burst must pay the production cost.
  const hash = await bcrypt.hash(o.password, o.bcryptCost);
  await o.owner.query('UPDATE users SET password_hash = $1 WHERE id = ANY($2::uuid[])', [hash, users.map((u) => u.id)]);

  const url = `http://127.0.0.1:${o.port}${o.page.path}`;
  o.say(`Sign-in burst: ${o.burst} users at bcrypt cost ${o.bcryptCost}, ${o.page.label} at ${o.connections} connections`);

  const alone = loadPage(url, o.page.cookie, o.connections);
  await pause(1_000);
  const aloneFrom = performance.now();
  await pause(o.aloneSeconds * 1_000);
  const aloneLoad = alone.since(aloneFrom);
  await alone.stop();

  // Every sign-in its own client and connection, its form already loaded, as browsers would be.
  const clients = users.map(() => benchHttp(o.port, 1));
  try {
    const forms = await Promise.all(clients.map(async (client) => {
      const form = await client.request('GET', '/login');
      const token = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
      const cookie = ([] as string[]).concat(form.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).find((c) => /plantrak\.sid=/.test(c));
      if (!token || !cookie) throw new Error('no sign-in form');
      return { token, cookie };
    }));

    const during = loadPage(url, o.page.cookie, o.connections);
    await pause(1_000);
    const burstFrom = performance.now();
    const signIns = await Promise.all(users.map(async (user, i) => {
      const t0 = performance.now();
      const reply = await clients[i]!.request('POST', '/login', forms[i]!.cookie, { _csrf: forms[i]!.token, email: user.email, password: o.password });
      return { ms: performance.now() - t0, status: reply.status };
    }));
    const wallMs = performance.now() - burstFrom;
    const burstLoad = during.since(burstFrom);
    await during.stop();

    const times = signIns.map((s) => s.ms).sort((a, b) => a - b);
    const statuses: Record<string, number> = {};
    for (const s of signIns) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
    return {
      signIns: { p50: percentile(times, 50), p99: percentile(times, 99), max: times.at(-1)!, statuses, wallMs },
      pageAlone: { p50: percentile(aloneLoad.times, 50), p99: percentile(aloneLoad.times, 99), requests: aloneLoad.times.length, failures: aloneLoad.failures },
      pageDuringBurst: { p50: percentile(burstLoad.times, 50), p99: percentile(burstLoad.times, 99), requests: burstLoad.times.length, failures: burstLoad.failures },
    };
  } finally {
    for (const client of clients) client.close();
  }
}

export function reportSignInBurst(result: SignInBurstResult, label: string, say: (line?: string) => void): void {
  const ms = (n: number) => `${n.toFixed(0).padStart(5)} ms`;
  const s = result.signIns;
  const statuses = Object.entries(s.statuses).map(([status, n]) => `${n}× ${status}`).join(', ');
  say(`  sign-ins                      p50 ${ms(s.p50)}  p99 ${ms(s.p99)}  max ${ms(s.max)}  (${statuses}; all done in ${(s.wallMs / 1000).toFixed(1)} s)`);
  for (const [what, page] of [[`${label}, alone`, result.pageAlone], [`${label}, during the burst`, result.pageDuringBurst]] as const) {
    say(`  ${what.padEnd(29)} p50 ${ms(page.p50)}  p99 ${ms(page.p99)}  (${page.requests} requests${page.failures ? `, ${page.failures} not 200` : ''})`);
  }
}
