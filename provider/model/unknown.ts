/**
 * What a node did not report. A value of its own: it never compares different from anything, so
 * nothing is planned (least of all a replacement or a deletion) because a field was missing.
 */
export const UNKNOWN: unique symbol = Symbol.for('exalate-iac.unknown');
export type Unknown = typeof UNKNOWN;

export function isUnknown(value: unknown): value is Unknown {
  return value === UNKNOWN;
}
