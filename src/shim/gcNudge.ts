// Keeps the shim's memory near its baseline while it relays a lot of data.
//
// Every pipe read gives Node a fresh 64 KB buffer. The relay lets go of each one at once, but V8
// frees them only when it collects garbage, and the few small JS objects per read hardly fill its
// young generation: left alone, it waits until tens of MB of dead buffers pile up (measured: a
// bare `stdin.pipe(stdout)` Node relay levels off near 80 MB RSS at 1 MB messages). A minor
// collection (a scavenge: about 90 µs here when nearly everything in it is dead) after every 2 MB
// relayed frees them early, for about 2 % of a core at 500 MB/s (nothing at the rates MCP traffic
// really has): the shim then levels off some 15 MB above an empty Node process.
//
// `gc` is not exposed by default; the flag can be set at run time, and only the first nudge pays
// for it, so a shim that relays little never does.

import * as v8 from 'node:v8';
import * as vm from 'node:vm';

const NUDGE_EVERY_BYTES = 2 * 1024 * 1024;

type Collect = (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

let relayed = 0;
let collect: Collect | null | undefined;

/** Counts relayed bytes; every NUDGE_EVERY_BYTES, asks V8 for a minor collection. */
export function noteRelayed(bytes: number): void {
  relayed += bytes;
  if (relayed < NUDGE_EVERY_BYTES) {
    return;
  }
  relayed = 0;
  if (collect === undefined) {
    collect = loadCollector();
  }
  if (collect !== null) {
    try {
      collect({ type: 'minor' });
    } catch {
      collect = null;
    }
  }
}

function loadCollector(): Collect | null {
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn = vm.runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as Collect) : null;
  } catch {
    // Some embedders forbid it; then V8's own schedule it is.
    return null;
  }
}
