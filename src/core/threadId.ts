// Thread ids are UUIDs (Codex makes UUIDv7). Every id is checked here before it becomes part of a
// file name, so nothing like "../x" or an absolute path can reach the file system.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True when `value` is a lower-case, hyphenated UUID (the form Codex writes). */
export function isThreadId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** Normalises case and checks syntax; throws a clear error for anything else. */
export function parseThreadId(value: unknown): string {
  const id = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (!isThreadId(id)) {
    throw new InvalidThreadIdError(value);
  }
  return id;
}

export class InvalidThreadIdError extends Error {
  constructor(readonly value: unknown) {
    super(`not a valid Codex thread id (expected a UUID like 01a20dd3-146f-7680-86a1-782e736bec86): ${JSON.stringify(String(value)).slice(0, 80)}`);
    this.name = 'InvalidThreadIdError';
  }
}

/**
 * Creation time of a UUIDv7 in Unix ms (its first 48 bits), or undefined for other versions.
 * Codex thread ids are v7, so this is when the thread was created.
 */
export function uuidV7Time(id: string): number | undefined {
  if (!isThreadId(id) || id[14] !== '7') {
    return undefined;
  }
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
