/**
 * Orders strings by their UTF-16 code units: for machine text (ids, ISO timestamps, paths) the
 * right order, and without localeCompare's collator, whose first use costs milliseconds.
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
