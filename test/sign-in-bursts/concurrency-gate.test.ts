// The gate bcrypt goes through (lib/concurrency-gate.ts): at most `limit` tasks at once, the rest
// in arrival order, a refusal once `queueMax` wait, and a slot freed by a task that fails too.
import { expect } from 'chai';
import { ConcurrencyGate, GateFullError } from '../../lib/concurrency-gate.ts';

/** A task that runs until `finish()` is called, recording when it started. */
function heldTask(name: string, log: string[]) {
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  return { finish, task: async () => { log.push(`start ${name}`); await finished; return name; } };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('sign-in bursts: the concurrency gate', () => {
  it('runs at most `limit` at once and starts the waiting ones in arrival order as slots free', async () => {
    const gate = new ConcurrencyGate(2, 10);
    const log: string[] = [];
    const tasks = ['a', 'b', 'c', 'd', 'e'].map((name) => heldTask(name, log));
    const results = tasks.map((t) => gate.run(t.task));
    await settle();
    expect(log).to.deep.equal(['start a', 'start b']);
    expect([gate.running, gate.waiting]).to.deep.equal([2, 3]);

    tasks[1]!.finish();
    await settle();
    expect(log).to.deep.equal(['start a', 'start b', 'start c']);
    tasks[0]!.finish();
    tasks[2]!.finish();
    await settle();
    expect(log).to.deep.equal(['start a', 'start b', 'start c', 'start d', 'start e']);
    expect(gate.running).to.equal(2);
    tasks[3]!.finish();
    tasks[4]!.finish();
    expect(await Promise.all(results)).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
    expect([gate.running, gate.waiting]).to.deep.equal([0, 0]);
  });

  it('refuses at once when queueMax tasks already wait, without running or queueing the refused one', async () => {
    const gate = new ConcurrencyGate(1, 2);
    const log: string[] = [];
    const tasks = ['a', 'b', 'c'].map((name) => heldTask(name, log));
    const results = tasks.map((t) => gate.run(t.task));
    let ranRefused = false;
    const refusal = await gate.run(async () => { ranRefused = true; }).then(() => undefined, (error: unknown) => error);
    expect(refusal).to.be.instanceOf(GateFullError);
    expect(ranRefused).to.equal(false);
    expect([gate.running, gate.waiting]).to.deep.equal([1, 2]);
    for (const t of tasks) t.finish();
    expect(await Promise.all(results)).to.deep.equal(['a', 'b', 'c']);
  });

  it('frees the slot of a task that fails, and passes its error on', async () => {
    const gate = new ConcurrencyGate(1, 5);
    const failing = gate.run(async () => { throw new Error('bcrypt failed'); });
    const next = gate.run(async () => 'next ran');
    expect(await failing.catch((e: Error) => e.message)).to.equal('bcrypt failed');
    expect(await next).to.equal('next ran');
    expect([gate.running, gate.waiting]).to.deep.equal([0, 0]);
  });
});
