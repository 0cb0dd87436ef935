// Short names for thread ids. A UUIDv7 starts with its creation time in ms, so threads created in
// the same second share a long prefix; the random tail is what tells them apart.

import { compareCodeUnits } from '../compareCodeUnits';

const MIN_LENGTH = 6;

/**
 * For each id, the shortest tail (at least 6 hex digits) that no other id in the set shares.
 * Hyphens are dropped first so a tail never starts with one.
 */
export function shortIds(ids: Iterable<string>): Map<string, string> {
  // The tail an id needs is one longer than the longest tail it shares with any other id, and that
  // other id is a neighbour once the ids are sorted by their reversed digits.
  const reversed = [...new Set(ids)].map((id) => ({ id, hex: id.replace(/-/g, ''), rev: [...id.replace(/-/g, '')].reverse().join('') }));
  reversed.sort((a, b) => compareCodeUnits(a.rev, b.rev));
  const shared = (a: string, b: string): number => {
    let n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) {
      n++;
    }
    return n;
  };
  const out = new Map<string, string>();
  reversed.forEach((e, i) => {
    const before = i > 0 ? shared(e.rev, reversed[i - 1].rev) : 0;
    const after = i + 1 < reversed.length ? shared(e.rev, reversed[i + 1].rev) : 0;
    const length = Math.min(e.hex.length, Math.max(MIN_LENGTH, Math.max(before, after) + 1));
    out.set(e.id, e.hex.slice(-length));
  });
  return out;
}

/** The tail of one id, for places that show a single id (6 hex digits; 1 in 16 million to clash). */
export function shortId(id: string): string {
  return id.replace(/-/g, '').slice(-MIN_LENGTH);
}
