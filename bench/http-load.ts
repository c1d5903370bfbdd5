import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

/**
 * An HTTP load loop in a worker thread, so the client's own work does not run on the event loop
 * of the server it measures. `concurrency` loops POST the same body over keep-alive connections
 * (fetch's default agent) for `durationMs` after `warmupMs`, and report requests per second.
 */
export interface LoadOptions {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly warmupMs: number;
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly requests: number;
  /** Requests answered during the warm-up, not counted in `requests`. */
  readonly warmupRequests: number;
  readonly failures: number;
  /** The first failing response, to say what went wrong. */
  readonly firstFailure: string | null;
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: options });
    worker.once('message', (result: LoadResult) => resolve(result));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load worker exited with ${code}`));
    });
  });
}

/** Several rounds' results as one: all requests over all measured time. */
export function combineRounds(rounds: readonly LoadResult[]): {
  requestsPerSecond: number;
  requests: number;
} {
  const requests = rounds.reduce((n, r) => n + r.requests, 0);
  const seconds = rounds.reduce((n, r) => n + r.requests / r.requestsPerSecond, 0);
  return { requestsPerSecond: requests / seconds, requests };
}

async function loop(options: LoadOptions): Promise<LoadResult> {
  let failures = 0;
  let firstFailure: string | null = null;
  const once = async () => {
    const response = await fetch(options.url, {
      method: 'POST',
      headers: options.headers,
      body: options.body,
    });
    const text = await response.text();
    if (response.status !== 200 || text.includes('"errors"')) {
      failures++;
      firstFailure ??= `${response.status} ${text.slice(0, 300)}`;
    }
  };
  const run = async (durationMs: number) => {
    let done = 0;
    const until = performance.now() + durationMs;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (performance.now() < until) {
          await once();
          done++;
        }
      }),
    );
    return { done, seconds: (performance.now() - started) / 1000 };
  };
  const warmup = await run(options.warmupMs);
  failures = 0;
  const { done, seconds } = await run(options.durationMs);
  return {
    requestsPerSecond: done / seconds,
    requests: done,
    warmupRequests: warmup.done,
    failures,
    firstFailure,
  };
}

if (!isMainThread && parentPort) {
  parentPort.postMessage(await loop(workerData as LoadOptions));
}
