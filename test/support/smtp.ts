// A real SMTP listener (smtp-server) on loopback that keeps what it receives.
import { SMTPServer } from 'smtp-server';
import { freePort } from './env.ts';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

export interface TestSmtp {
  url: string;
  received: ReceivedMail[];
  /** Refuse every message (an outage) until set back to false. */
  refuse: boolean;
  close(): Promise<void>;
}

/** Starts a listener; with `state`, fills in that object (so a suite can hand it out before start). */
export async function startSmtp(state: TestSmtp = { url: '', received: [], refuse: false, close: async () => undefined }): Promise<TestSmtp> {
  const port = await freePort();
  state.url = `smtp://127.0.0.1:${port}`;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (state.refuse) return callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 451 }));
        state.received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A client that goes away mid-message (an app process killed by its test) resets its socket;
  // without a listener the server rethrows that as an uncaught error in whichever test runs next.
  server.on('error', () => undefined);
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

/** Undoes quoted-printable soft line breaks and escapes, enough to find links in a message. */
export function decodeBody(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** A listener for the enclosing describe block: started before it, closed after it, emptied (and
 *  accepting again) before each test. */
export function smtpForSuite(): TestSmtp {
  const smtp: TestSmtp = { url: '', received: [], refuse: false, close: async () => undefined };
  before(() => startSmtp(smtp));
  after(() => smtp.close());
  beforeEach(() => {
    smtp.received.length = 0;
    smtp.refuse = false;
  });
  return smtp;
}
