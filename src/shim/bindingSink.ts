// The sink side of "fail open": whatever the store does (throw, reject, hang), the relay goes on
// and the problem is reported once on stderr. NoopSink is what runs when nothing is recorded
// (and what the tests inject).

import type { Correction } from '../core/store/threadContext';
import type { BindingSink, BindingStart, Report } from './types';

export class NoopSink implements BindingSink {
  readonly stderrLogPath?: string;

  constructor(stderrLogPath?: string) {
    this.stderrLogPath = stderrLogPath;
  }

  starting(_info: BindingStart): void {}
  running(_serverPid: number): void {}
  call(_atMs: number): void {}
  correction(_c: Correction): void {}
  restarted(_serverPid: number, _threadId: string, _contextFile?: string): void {}
  exited(_code: number | null, _signal: string | null, _restartFailed?: boolean): void {}
  async flush(): Promise<void> {}
}

/** A sink whose methods never throw, and whose slow parts are bounded in time. */
export class GuardedSink {
  private reported = false;

  constructor(
    private readonly sink: BindingSink,
    private readonly report: Report,
  ) {}

  get stderrLogPath(): string | undefined {
    try {
      const p = this.sink.stderrLogPath;
      return typeof p === 'string' && p !== '' ? p : undefined;
    } catch (e) {
      this.failed(e);
      return undefined;
    }
  }

  starting(info: BindingStart): void {
    try {
      this.sink.starting(info);
    } catch (e) {
      this.failed(e);
    }
  }

  running(serverPid: number): void {
    try {
      this.sink.running(serverPid);
    } catch (e) {
      this.failed(e);
    }
  }

  call(atMs: number): void {
    try {
      this.sink.call(atMs);
    } catch (e) {
      this.failed(e);
    }
  }

  correction(c: Correction): void {
    try {
      this.sink.correction(c);
    } catch (e) {
      this.failed(e);
    }
  }

  restarted(serverPid: number, threadId: string, contextFile?: string): void {
    try {
      this.sink.restarted(serverPid, threadId, contextFile);
    } catch (e) {
      this.failed(e);
    }
  }

  exited(code: number | null, signal: string | null, restartFailed?: boolean): void {
    try {
      this.sink.exited(code, signal, restartFailed);
    } catch (e) {
      this.failed(e);
    }
  }

  /** The store's context file for another thread, or undefined after `timeoutMs`. */
  async contextFileFor(threadId: string, timeoutMs: number): Promise<string | undefined> {
    if (typeof this.sink.contextFileFor !== 'function') {
      return undefined;
    }
    try {
      const file = await withTimeout(Promise.resolve(this.sink.contextFileFor(threadId)), timeoutMs);
      return typeof file === 'string' && file !== '' ? file : undefined;
    } catch (e) {
      this.failed(e);
      return undefined;
    }
  }

  async flush(timeoutMs: number): Promise<void> {
    try {
      await withTimeout(this.sink.flush(), timeoutMs);
    } catch (e) {
      this.failed(e);
    }
  }

  private failed(e: unknown): void {
    if (!this.reported) {
      this.reported = true;
      this.report(`cannot record the binding (${(e as Error)?.message ?? String(e)}); the server runs on unrecorded`);
    }
  }
}

/** A Report that passes on its first line only: the shim promises one line per kind of problem. */
export function onlyOnce(report: Report): Report {
  let said = false;
  return (line) => {
    if (!said) {
      said = true;
      report(line);
    }
  };
}

export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** Rejects with TimeoutError after `ms`; the timer never keeps the process alive. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(ms)), ms);
    timer.unref();
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
