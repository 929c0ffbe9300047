// The part of autocannon's API bench/pages.ts and bench/sign-in-burst.ts use (the package ships no types).
declare module 'autocannon' {
  namespace autocannon {
    interface Histogram { average: number; p50: number; p99: number; total: number }
    interface Result { requests: Histogram; latency: Histogram; non2xx: number; errors: number; timeouts: number }
    interface Options { url: string; connections?: number; duration?: number; headers?: Record<string, string> }
    /** A run under way: each response as it completes (its time in ms), and stopping it early. */
    interface Instance {
      on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): Instance;
      stop(): void;
    }
  }
  function autocannon(options: autocannon.Options, done: (error: Error | null, result: autocannon.Result) => void): autocannon.Instance;
  export default autocannon;
}
