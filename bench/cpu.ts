// CPU time of processes, read from /proc (Linux): what a page costs the app's process and the
// database's processes per request, which a loaded or noisy machine changes far less than req/s.
import fs from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux architecture the app runs on

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces): field 3 on. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User + system CPU milliseconds of a process so far (0 when it is gone); with `reaped`, those
 *  of its children that have exited too (so a backend that ends meanwhile is still counted). */
function cpuMs(pid: number, reaped = false): number {
  const f = statFields(pid);
  if (!f) return 0;
  const ticks = Number(f[11]) + Number(f[12]) + (reaped ? Number(f[13]) + Number(f[14]) : 0);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** A process and its children (a PostgreSQL postmaster and its backends). */
function withChildren(pid: number): number[] {
  const pids = [pid];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return pids;
  }
  for (const entry of entries) if (Number(statFields(Number(entry))?.[1]) === pid) pids.push(Number(entry));
  return pids;
}

export interface CpuSample {
  appMs: number;
  databaseMs: number;
}

/** CPU so far of the app's process and of the database server with all its backends, those that
 *  have exited included; NaN for what cannot be read (no /proc, or no process id). */
export function sampleCpu(appPid: number | undefined, postmasterPid: number): CpuSample {
  const readable = (pid: number | undefined): pid is number => Boolean(pid && pid > 0 && statFields(pid));
  return {
    appMs: readable(appPid) ? cpuMs(appPid) : NaN,
    databaseMs: readable(postmasterPid) ? withChildren(postmasterPid).reduce((sum, pid) => sum + cpuMs(pid, pid === postmasterPid), 0) : NaN,
  };
}

/** CPU milliseconds per request between two samples. */
export function perRequest(before: CpuSample, after: CpuSample, requests: number): CpuSample {
  return {
    appMs: (after.appMs - before.appMs) / Math.max(1, requests),
    databaseMs: (after.databaseMs - before.databaseMs) / Math.max(1, requests),
  };
}
