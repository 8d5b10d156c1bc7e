import { IacError, type ApiErrorCode } from '../model/errors';
import { MIN_SECRET_LENGTH } from '../model/limits';

export type ExalateErrorCode = ApiErrorCode;

/** Everything an error knows about the call that failed. */
export interface ExalateErrorDetails {
  /** HTTP status, when the node answered. */
  readonly status?: number;
  /** HTTP method of the failed call. */
  readonly method?: string;
  /** Path of the failed call (below the API base), ids included, secrets never. */
  readonly path?: string;
  /** The node's own `message`, redacted. */
  readonly serverMessage?: string;
  /** The node's own `code`, when it sent one. */
  readonly serverCode?: string;
  /** Seconds the node asked to wait (429/503). */
  readonly retryAfterSeconds?: number;
  /**
   * True when the request may have taken effect on the node although no answer came back
   * (timeout, reset, 5xx on a mutation).
   */
  readonly ambiguous?: boolean;
  /** How many attempts were made. */
  readonly attempts?: number;
  /** An earlier attempt of the same call failed ambiguously (its effect may be on the node). */
  readonly earlierAttemptAmbiguous?: boolean;
  /** A connection the node named in its error body (a replayed invitation acceptance). */
  readonly connectionId?: number;
  readonly cause?: unknown;
}

/**
 * The one error type of the node client. Callers branch on `code`, never on message text.
 * The message names the call (method, path with ids), the status and the node's message, and is
 * redacted: no token, JWT or invitation code can appear in it.
 */
export class ExalateError extends IacError {
  declare readonly code: ExalateErrorCode;
  readonly status?: number;
  readonly method?: string;
  readonly path?: string;
  readonly serverMessage?: string;
  readonly serverCode?: string;
  readonly retryAfterSeconds?: number;
  readonly ambiguous: boolean;
  readonly attempts?: number;
  readonly earlierAttemptAmbiguous: boolean;
  readonly connectionId?: number;

  constructor(code: ExalateErrorCode, message: string, details: ExalateErrorDetails = {}) {
    super(code, message, details.cause !== undefined ? { cause: details.cause } : {});
    this.name = 'ExalateError';
    this.status = details.status;
    this.method = details.method;
    this.path = details.path;
    this.serverMessage = details.serverMessage;
    this.serverCode = details.serverCode;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.ambiguous = details.ambiguous ?? false;
    this.attempts = details.attempts;
    this.earlierAttemptAmbiguous = details.earlierAttemptAmbiguous ?? false;
    this.connectionId = details.connectionId;
  }

  /** An error of the node client (brand check that survives two copies of the package on disk). */
  static isExalateError(value: unknown): value is ExalateError {
    return IacError.is(value) && value.code.startsWith('EXALATE_');
  }
}

/** The stable code for an HTTP status. */
export function codeForStatus(status: number): ExalateErrorCode {
  switch (status) {
    case 400:
    case 422:
      return 'EXALATE_BAD_REQUEST';
    case 401:
      return 'EXALATE_UNAUTHORIZED';
    case 403:
      return 'EXALATE_FORBIDDEN';
    case 404:
      return 'EXALATE_NOT_FOUND';
    case 409:
      return 'EXALATE_CONFLICT';
    case 410:
      return 'EXALATE_GONE';
    case 412:
      return 'EXALATE_PRECONDITION_FAILED';
    case 429:
      return 'EXALATE_RATE_LIMITED';
    default:
      return status >= 500 ? 'EXALATE_SERVER_ERROR' : 'EXALATE_BAD_RESPONSE';
  }
}

export { MIN_SECRET_LENGTH };

/** Longest server message kept in an error. */
export const MAX_SERVER_MESSAGE = 300;

/**
 * The forms a secret takes when a node echoes it: as it is, URL-encoded, and base64 or base64url
 * encoded — at each of the three byte alignments, as when it sits inside a longer encoded value
 * (`user:token`), keeping only the characters that depend on the secret alone.
 */
export function secretForms(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret)]);
  const bytes = Buffer.from(secret, 'utf8');
  for (let shift = 0; shift < 3; shift++) {
    const shifted = Buffer.concat([Buffer.alloc(shift), bytes]);
    const start = Math.ceil((8 * shift) / 6);
    const end = Math.floor((8 * shifted.length) / 6);
    for (const encoding of ['base64', 'base64url'] as const) {
      const form = shifted.toString(encoding).slice(start, end);
      forms.add(form);
    }
  }
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/**
 * Long opaque runs in text written by a node: 32 or more base64/base64url characters with both
 * upper and lower case letters. A random code or token looks like that (32 random such
 * characters lack one of the cases with a probability of about 1e-7), while paths, names, numbers,
 * UUIDs and hex digests do not; a long CamelCase word is the price.
 */
const OPAQUE = /[A-Za-z0-9+/_-]{32,}={0,2}/g;

function looksOpaque(run: string): boolean {
  return /[A-Z]/.test(run) && /[a-z]/.test(run);
}

/**
 * Removes secrets from text bound for an error or a log line: every registered secret (the node
 * token, JWTs and invitation codes the client has seen) in each of its encoded forms, and
 * anything shaped like a JWT.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    // Very short strings would redact ordinary words; tokens that short are refused where they
    // are read (see resolveNodes), and codes and JWTs are long.
    if (secret && secret.length >= MIN_SECRET_LENGTH)
      for (const form of secretForms(secret)) this.secrets.add(form);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join('[REDACTED]');
    }
    // Anything that looks like a JWT (three base64url parts, the first a JSON header).
    return out.replace(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, '[REDACTED]');
  }

  /**
   * Text a node wrote (an error message): redacted, long opaque runs removed as well (a code the
   * client has not seen yet), and cut to MAX_SERVER_MESSAGE characters.
   */
  redactServerText(text: string): string {
    const cleaned = this.redact(text).replace(OPAQUE, (run) => (looksOpaque(run) ? '[REDACTED]' : run));
    return cleaned.length > MAX_SERVER_MESSAGE ? `${cleaned.slice(0, MAX_SERVER_MESSAGE)}…` : cleaned;
  }
}
