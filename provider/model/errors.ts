/**
 * The error catalogue. Every error the engine and the node client raise is an `IacError` with a
 * stable `code`; doors branch on the code, never on text, and map an error once: to a CLI line
 * (`provider/cli/errors.ts`) or to a Terraform diagnostic (`provider/terraform`). Messages say
 * what happened and where; `hint` says what to do. Messages never hold a secret.
 */
import type { SourceLocation } from './connection';

export type ApiErrorCode =
  | 'EXALATE_BAD_REQUEST'
  | 'EXALATE_UNAUTHORIZED'
  | 'EXALATE_FORBIDDEN'
  | 'EXALATE_NOT_FOUND'
  | 'EXALATE_CONFLICT'
  | 'EXALATE_GONE'
  | 'EXALATE_PRECONDITION_FAILED'
  | 'EXALATE_RATE_LIMITED'
  | 'EXALATE_SERVER_ERROR'
  | 'EXALATE_TIMEOUT'
  | 'EXALATE_NETWORK'
  | 'EXALATE_INSECURE_URL'
  | 'EXALATE_BAD_RESPONSE';

export type EngineErrorCode =
  /** The configuration has findings (`details.findings`). */
  | 'CONFIG_INVALID'
  /** Environment variables the configuration needs are not set, or unusable (`details.problems`). */
  | 'ENV_UNSET'
  /** Talking to one node failed (`node`, `cause`). */
  | 'NODE_FAILED'
  /** A name asked for is not declared. */
  | 'NOT_DECLARED'
  /** The connection is not on the node. */
  | 'NOT_ON_NODE'
  /** The connection is not waiting for acceptance. */
  | 'NOT_PENDING'
  /** The connection has no invitation code (Visual mode: accepted on the other side without one). */
  | 'NO_INVITATION_CODE'
  /** A saved plan file is unreadable or not a plan. */
  | 'PLAN_FILE_INVALID'
  /** A saved plan was made from another configuration, or the nodes changed since. */
  | 'PLAN_STALE'
  /** The outputs file cannot be read or written. */
  | 'OUTPUTS_INVALID'
  /** import would overwrite files. */
  | 'IMPORT_CONFLICT'
  /** The node does not report a field an action needs: nothing is done on unknowns. */
  | 'FIELD_UNKNOWN'
  /** Another owner's connection, or a protected one. */
  | 'BLOCKED';

export type ErrorCode = ApiErrorCode | EngineErrorCode;

/** One problem in a file, at the position of the offending value. */
export interface Finding {
  /** The file as the user named it. */
  file: string;
  /** 1-based; 0 when the problem has no position (a file that cannot be read). */
  line: number;
  col: number;
  severity: 'error' | 'warning';
  message: string;
  /** JSON pointer of the offending value, when there is one. */
  pointer?: string;
}

export interface IacErrorDetails {
  /** The node concerned. */
  readonly node?: string;
  /** The connection concerned. */
  readonly connection?: string;
  /** What to do about it. */
  readonly hint?: string;
  readonly findings?: readonly Finding[];
  /** Problems located in a file (unset variables). */
  readonly problems?: readonly { message: string; location: SourceLocation }[];
  readonly cause?: unknown;
}

const BRAND = Symbol.for('exalate-iac.IacError');

export class IacError extends Error {
  readonly code: ErrorCode;
  readonly node?: string;
  readonly connection?: string;
  readonly hint?: string;
  readonly findings?: readonly Finding[];
  readonly problems?: readonly { message: string; location: SourceLocation }[];

  constructor(code: ErrorCode, message: string, details: IacErrorDetails = {}) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = 'IacError';
    this.code = code;
    this.node = details.node;
    this.connection = details.connection;
    this.hint = details.hint;
    this.findings = details.findings;
    this.problems = details.problems;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Brand check that survives two copies of the package on disk. */
  static is(value: unknown): value is IacError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One factory per message. */
export const errors = {
  configInvalid: (file: string, findings: readonly Finding[]) =>
    new IacError(
      'CONFIG_INVALID',
      `${file}: ${findings.filter((f) => f.severity === 'error').length} problem(s) in the configuration`,
      { findings, hint: 'fix them (`exalate-iac validate` lists them)' },
    ),
  envUnset: (problems: readonly { message: string; location: SourceLocation }[]) =>
    new IacError('ENV_UNSET', problems.map((p) => p.message).join('; '), {
      problems,
      hint: 'set the variables, or run where they are set',
    }),
  nodeFailed: (node: string, cause: unknown) =>
    new IacError('NODE_FAILED', `node '${node}': ${messageOf(cause)}`, { node, cause }),
  notDeclared: (what: string, file: string, declared: readonly string[]) =>
    new IacError(
      'NOT_DECLARED',
      `${what} is not declared in ${file}${declared.length > 0 ? ` (declared: ${declared.join(', ')})` : ''}`,
    ),
  notOnNode: (node: string, connection: string) =>
    new IacError('NOT_ON_NODE', `'${connection}' is not on node '${node}'`, {
      node,
      connection,
      hint: 'run apply first',
    }),
  notPending: (node: string, connection: string, status: string) =>
    new IacError(
      'NOT_PENDING',
      `'${connection}' on '${node}' is ${status}, not waiting for acceptance: there is no code to replace`,
      { node, connection },
    ),
  noInvitationCode: (node: string, connection: string, mode: string) =>
    new IacError(
      'NO_INVITATION_CODE',
      `'${connection}' on '${node}' is in ${mode} mode, which has no invitation code: it is accepted on the other side without one`,
      { node, connection, hint: '`exalate-iac apply` accepts it on its `remote.node`' },
    ),
  planFileInvalid: (file: string, why: string) =>
    new IacError('PLAN_FILE_INVALID', `cannot use the plan ${file}: ${why}`),
  planStale: (file: string, why: string) =>
    new IacError('PLAN_STALE', `the plan ${file} no longer applies: ${why}`, {
      hint: `run \`exalate-iac plan --out ${file}\` again and review it`,
    }),
  outputsInvalid: (file: string, why: string) => new IacError('OUTPUTS_INVALID', `${file}: ${why}`),
  importConflict: (paths: readonly string[]) =>
    new IacError('IMPORT_CONFLICT', `refusing to overwrite existing files: ${paths.join(', ')}`, {
      hint: 'nothing was written; choose another --out or remove the files',
    }),
  fieldUnknown: (node: string, connection: string, fields: readonly string[]) =>
    new IacError(
      'FIELD_UNKNOWN',
      `'${connection}' on '${node}': the node does not report ${fields.join(', ')}; nothing is changed on values that cannot be compared`,
      { node, connection, hint: 'run `exalate-iac check-node` to see what the node reports' },
    ),
};
