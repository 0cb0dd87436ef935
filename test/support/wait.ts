// Polling with a deadline. Tests wait on observable facts (a record in a file, an event, a
// process), never on a fixed sleep, and a wait that runs out names what it was waiting for.

export class WaitTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WaitTimeoutError';
  }
}

export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs?: number;
  /** Time between two checks. */
  intervalMs?: number;
  /** Says what was awaited; it goes into the timeout error. */
  description?: string;
  /** Extra text for the timeout error, computed only on failure (e.g. a log tail). */
  diagnostics?: () => string;
}

/**
 * Calls `probe` until it returns something other than `undefined`/`false`, and returns that.
 * A probe that throws is treated as "not yet" (files may be half-written or absent); the last
 * such error is quoted in the timeout error.
 */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) {
        return value;
      }
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const parts = [`timed out after ${timeoutMs} ms waiting for ${options.description ?? 'a condition'}`];
      if (lastError !== undefined) {
        parts.push(`last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
      }
      if (options.diagnostics) {
        parts.push(options.diagnostics());
      }
      throw new WaitTimeoutError(parts.join('\n'));
    }
    await delay(Math.min(intervalMs, Math.max(1, deadline - Date.now())));
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with a clear error when `promise` does not settle in time. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, description: string, diagnostics?: () => string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const extra = diagnostics ? `\n${diagnostics()}` : '';
      reject(new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${description}${extra}`));
    }, timeoutMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** The last `maxChars` characters of `text`, marked when cut. */
export function tail(text: string, maxChars = 4000): string {
  return text.length <= maxChars ? text : `…${text.slice(text.length - maxChars)}`;
}
