// A query's rows read from a portal on a connection already in a transaction, batch by batch, with
// the next batches already asked for: PostgreSQL produces batch n+1 (and n+2) while this process
// parses and uses batch n, instead of waiting a round trip for every batch (a cursor read one batch
// at a time leaves the server idle while the rows are parsed, and the client idle while they are
// produced). At most `ahead` batches are asked for and not yet taken, so memory stays bounded
// when the rows are used more slowly than they come: then the server simply waits.
//
// pg's Client drives it like pg-cursor (a "submittable": submit, then the handle* callbacks in
// the order of the protocol's messages).
import pg from 'pg';
import { prepareValue } from 'pg/lib/utils.js';

interface Connection {
  parse(config: { text: string }, more: boolean): void;
  bind(config: { portal: string; values: unknown[] }, more: boolean): void;
  describe(config: { type: 'P'; name: string }, more: boolean): void;
  execute(config: { portal: string; rows: number }, more: boolean): void;
  close(config: { type: 'P'; name: string }, more: boolean): void;
  flush(): void;
  sync(): void;
}

interface RowParser {
  addFields(fields: unknown[]): void;
  parseRow(fields: unknown[]): object;
}

const ResultBuilder = (pg as unknown as { Result: new () => RowParser }).Result;

let portals = 0;

export class PortalReader<T extends object> {
  /** pg's Client gives this its type parsers (as it does a Query's). */
  readonly _result: RowParser = new ResultBuilder();
  private connection: Connection | null = null;
  private readonly portal = `R_${++portals}`;
  private readonly values: unknown[];
  private rows: T[] = [];
  private readonly ready: T[][] = [];
  /** Executes sent and not yet answered. */
  private asked = 0;
  /** Every row has come (or the reading was stopped). */
  private complete = false;
  /** Sync sent: the server will answer with ReadyForQuery, and must be sent it only once. */
  private synced = false;
  private stopped = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly text: string, values: unknown[], private readonly batchSize: number, private readonly ahead: number) {
    this.values = values.map((v) => prepareValue(v));
  }

  submit(connection: Connection): void {
    this.connection = connection;
    connection.parse({ text: this.text }, true);
    connection.bind({ portal: this.portal, values: this.values }, true);
    connection.describe({ type: 'P', name: this.portal }, true);
    this.askMore();
  }

  handleRowDescription(msg: { fields: unknown[] }): void {
    this._result.addFields(msg.fields);
  }

  handleDataRow(msg: { fields: unknown[] }): void {
    // Rows still coming once the reader has stopped are dropped unparsed.
    if (!this.stopped) this.rows.push(this._result.parseRow(msg.fields) as T);
  }

  handlePortalSuspended(): void {
    this.asked -= 1;
    this.deliver();
  }

  handleCommandComplete(): void {
    // The Executes still on their way each answer "nothing more"; only the first one counts.
    this.asked -= 1;
    if (this.complete) return;
    this.complete = true;
    this.deliver();
    this.closePortal();
  }

  handleReadyForQuery(): void {
    this.notify();
  }

  handleEmptyQuery(): void {
    this.complete = true;
    this.closePortal();
  }

  handleError(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.complete = true;
    // The server skips everything up to a Sync after an error; one is needed for its ReadyForQuery.
    if (this.connection && !this.synced) {
      this.synced = true;
      this.connection.sync();
    }
    this.notify();
  }

  /** The batches, in order; leaving the loop early closes the portal. */
  async *batches(): AsyncGenerator<T[]> {
    try {
      for (;;) {
        if (this.failure) throw this.failure;
        const batch = this.ready.shift();
        if (batch) {
          this.askMore();
          yield batch;
          continue;
        }
        if (this.complete) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      this.stop();
    }
  }

  private askMore(): void {
    const connection = this.connection;
    if (!connection || this.complete || this.stopped) return;
    let sent = false;
    while (this.asked + this.ready.length < this.ahead) {
      connection.execute({ portal: this.portal, rows: this.batchSize }, true);
      this.asked += 1;
      sent = true;
    }
    if (sent) connection.flush();
  }

  private deliver(): void {
    if (this.rows.length && !this.stopped) this.ready.push(this.rows);
    this.rows = [];
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Closes the portal: its transaction goes on, and the connection takes the next query once the
   *  server has answered what was already asked. */
  private closePortal(): void {
    if (this.synced || !this.connection) return;
    this.synced = true;
    this.connection.close({ type: 'P', name: this.portal }, true);
    this.connection.sync();
  }

  private stop(): void {
    this.stopped = true;
    this.ready.length = 0;
    this.rows = [];
    if (!this.failure) this.closePortal();
  }
}
