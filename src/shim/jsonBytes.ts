// Byte-level helpers for reading JSON in place (messagePeek.ts reads envelopes, callInspector.ts
// reads a call's thread id). They work on raw bytes, never decode, and use plain loops where a
// call into native code (with its argument checks) would cost more than the bytes compared.

export const SPACE = 0x20;
export const TAB = 0x09;
export const LF = 0x0a;
export const CR = 0x0d;
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const LBRACE = 0x7b;
export const RBRACE = 0x7d;
export const LBRACKET = 0x5b;
export const RBRACKET = 0x5d;

export function isSpace(c: number): boolean {
  return c === SPACE || c === LF || c === CR || c === TAB;
}

/** `b[s, e)` equals `bytes`. */
export function sameBytes(b: Buffer, s: number, e: number, bytes: Buffer): boolean {
  return e - s === bytes.length && startsAt(b, s, e, bytes);
}

/** `bytes` occur at `b[at]`, within `b[..end)`. */
export function startsAt(b: Buffer, at: number, end: number, bytes: Buffer): boolean {
  if (at < 0 || at + bytes.length > end) {
    return false;
  }
  for (let k = 0; k < bytes.length; k++) {
    if (b[at + k] !== bytes[k]) {
      return false;
    }
  }
  return true;
}

/** The quote at `q` is preceded by an odd number of backslashes (at or after `floor`). */
export function escaped(b: Buffer, q: number, floor: number): boolean {
  let n = 0;
  for (let k = q - 1; k >= floor && b[k] === BACKSLASH; k--) {
    n++;
  }
  return n % 2 === 1;
}

/** Index just after the closing quote of the string whose opening quote is at `i`, or -1. */
export function stringEnd(b: Buffer, i: number, end: number): number {
  // Keys and short values: a plain loop beats a call into native indexOf.
  const near = Math.min(end, i + 48);
  for (let k = i + 1; k < near; k++) {
    const c = b[k];
    if (c === QUOTE) {
      return k + 1;
    }
    if (c === BACKSLASH) {
      break;
    }
  }
  let q = i;
  for (;;) {
    q = b.indexOf(QUOTE, q + 1);
    if (q < 0 || q >= end) {
      return -1;
    }
    if (!escaped(b, q, i + 1)) {
      return q + 1;
    }
  }
}
