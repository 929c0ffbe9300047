// A counting semaphore with a bounded FIFO queue: at most `limit` tasks run at once, up to
// `queueMax` more wait their turn in arrival order, and any beyond that are refused at once
// (GateFullError) so an overload is answered quickly instead of queueing without end.

export class GateFullError extends Error {
  constructor(readonly waiting: number) {
    super(`${waiting} tasks are already waiting`);
  }
}

export class ConcurrencyGate {
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(readonly limit: number, readonly queueMax: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a whole number of at least 1');
    if (!Number.isInteger(queueMax) || queueMax < 0) throw new RangeError('queueMax must be a whole number of at least 0');
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running < this.limit) this.#running++;
    else if (this.#waiting.length >= this.queueMax) throw new GateFullError(this.#waiting.length);
    // The finishing task hands its slot over (the count stays), so no newcomer can jump the queue.
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
