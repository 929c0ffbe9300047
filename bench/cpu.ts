// CPU time of processes, read from /proc (Linux): what a page costs the app's process and the
// database's processes per request, which a loaded or noisy machine changes far less than req/s.
import fs from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux architecture the app runs on

/** User + system CPU milliseconds of one process so far, or 0 when it is gone (or no /proc). */
function cpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), counted from state = field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
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
  for (const entry of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export interface CpuSample {
  appMs: number;
  databaseMs: number;
}

/** CPU so far of the app's process and of the database server with all its backends. */
export function sampleCpu(appPid: number, postmasterPid: number): CpuSample {
  return {
    appMs: cpuMs(appPid),
    databaseMs: withChildren(postmasterPid).reduce((sum, pid) => sum + cpuMs(pid), 0),
  };
}

/** CPU milliseconds per request between two samples. */
export function perRequest(before: CpuSample, after: CpuSample, requests: number): CpuSample {
  return {
    appMs: (after.appMs - before.appMs) / Math.max(1, requests),
    databaseMs: (after.databaseMs - before.databaseMs) / Math.max(1, requests),
  };
}
