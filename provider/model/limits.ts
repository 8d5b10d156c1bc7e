/**
 * Largest sync rule script, in bytes of UTF-8: checked by `validate`, the client and the emulator
 * alike, so a file that validates is never refused by the node for its size.
 */
export const MAX_RULE_BYTES = 1_000_000;

/**
 * Shortest token accepted: a shorter secret could not be told from ordinary words when it is
 * removed from messages, so it is refused where it is read rather than printed unredacted.
 */
export const MIN_SECRET_LENGTH = 6;
