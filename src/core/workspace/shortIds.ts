// Short names for thread ids. A UUIDv7 starts with its creation time in ms, so threads created in
// the same second share a long prefix; the random tail is what tells them apart.

const MIN_LENGTH = 6;

/**
 * For each id, the shortest tail (at least 6 hex digits) that no other id in the set shares.
 * Hyphens are dropped first so a tail never starts with one.
 */
export function shortIds(ids: Iterable<string>): Map<string, string> {
  const unique = [...new Set(ids)];
  const hex = new Map(unique.map((id) => [id, id.replace(/-/g, '')]));
  const out = new Map<string, string>();
  for (const id of unique) {
    const own = hex.get(id)!;
    let length = MIN_LENGTH;
    for (const [other, otherHex] of hex) {
      if (other === id) {
        continue;
      }
      while (length < own.length && otherHex.endsWith(own.slice(-length))) {
        length++;
      }
    }
    out.set(id, own.slice(-length));
  }
  return out;
}

/** The tail of one id, for places that show a single id (6 hex digits; 1 in 16 million to clash). */
export function shortId(id: string): string {
  return id.replace(/-/g, '').slice(-MIN_LENGTH);
}
