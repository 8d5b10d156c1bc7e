/**
 * Largest sync rule script, in bytes of UTF-8: checked by `validate`, the client and the emulator
 * alike, so a file that validates is never refused by the node for its size.
 */
export const MAX_RULE_BYTES = 1_000_000;
