// Downloads a browser gives up on: read the first bytes and go away, then wait for the server to
// end the unit of work (seen as a superuser: the owner may not see another role's sessions).
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import pg from 'pg';
import type supertest from 'supertest';
import { testEnv } from '../support/env.ts';
import type { testApp } from '../support/http.ts';

/** The runtime role's connections inside a transaction (an open unit of work), read as a
 *  superuser: the owner may not see another role's sessions. */
async function openUnitsOfWork(): Promise<number> {
  const admin = new pg.Client({ connectionString: testEnv().adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND xact_start IS NOT NULL',
      [testEnv().roles.app],
    );
    return rows[0]!.n;
  } finally {
    await admin.end();
  }
}

/** Signs in, reads the first bytes of the download, then goes away; gives the response's headers. */
export async function abandon(server: ReturnType<ReturnType<typeof testApp>['listen']>, agent: ReturnType<typeof supertest.agent>, path: string) {
  const cookie = (agent as unknown as { jar: { getCookies: (info: unknown) => Array<{ toValueString: () => string }> } }).jar
    .getCookies({ domain: '127.0.0.1', path: '/', secure: false, script: false }).map((c) => c.toValueString()).join('; ');
  const { port } = server.address() as AddressInfo;
  return new Promise<{ headers: Record<string, unknown>; bytes: number }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { cookie } }, (res) => {
      res.once('data', (chunk: Buffer) => {
        resolve({ headers: res.headers, bytes: chunk.length });
        req.destroy();
      });
    });
    req.on('error', () => undefined);
    req.on('close', () => reject(new Error('closed before any byte')));
    req.end();
  });
}

export async function noUnitOfWorkLeft(): Promise<void> {
  for (let i = 0; i < 100 && (await openUnitsOfWork()) > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(await openUnitsOfWork(), 'units of work still open').to.equal(0);
}
