// A tiny keep-alive HTTP client for benchmarks against an in-process app on 127.0.0.1: GET and
// form POST with one session cookie, and sign-in through the real form (CSRF token included), so
// the server's work dominates the timings.
import http from 'node:http';

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export interface BenchHttp {
  request(method: 'GET' | 'POST', path: string, cookie?: string, form?: Record<string, string>): Promise<Reply>;
  /** Signs in through GET /login and POST /login; returns the session cookie. */
  signIn(email: string, password: string): Promise<string>;
  close(): void;
}

const SESSION_COOKIE = /^(?:__Host-)?plantrak\.sid=/;

const cookieOf = (reply: Reply): string | undefined =>
  ([] as string[]).concat(reply.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).find((c) => SESSION_COOKIE.test(c));

export function benchHttp(port: number, maxSockets = 4): BenchHttp {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const request: BenchHttp['request'] = (method, path, cookie, form) => {
    const body = form ? new URLSearchParams(form).toString() : undefined;
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1', port, method, path, agent,
          headers: {
            ...(cookie ? { cookie } : {}),
            ...(body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (body) req.write(body);
      req.end();
    });
  };
  return {
    request,
    async signIn(email, password) {
      const form = await request('GET', '/login');
      const token = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
      const cookie = cookieOf(form);
      if (!token || !cookie) throw new Error('no sign-in form');
      const done = await request('POST', '/login', cookie, { _csrf: token, email, password });
      if (done.status !== 303) throw new Error(`sign-in of ${email} answered ${done.status}`);
      return cookieOf(done) ?? cookie;
    },
    close: () => agent.destroy(),
  };
}
