// bcrypt's native work in this process, watched through async_hooks: each piece from the moment
// the bcrypt package hands it to libuv's threadpool until its completion callback begins (a hash
// makes its salt, then hashes from inside the salt's callback: the two never run at once). What
// the package really does, whatever the app's own counters say.
import { createHook } from 'node:async_hooks';

export interface BcryptWork {
  /** The most hashes and comparisons that were in flight at once. */
  readonly most: number;
  /** How many were started in all. */
  readonly started: number;
  stop(): void;
}

export function watchBcryptWork(): BcryptWork {
  const inFlight = new Set<number>();
  let most = 0;
  let started = 0;
  const settled = (id: number) => void inFlight.delete(id);
  const hook = createHook({
    init(id, type) {
      if (!type.startsWith('bcrypt:')) return;
      started++;
      inFlight.add(id);
      most = Math.max(most, inFlight.size);
    },
    before: settled,
    destroy: settled,
  });
  hook.enable();
  return {
    get most() { return most; },
    get started() { return started; },
    stop: () => void hook.disable(),
  };
}
