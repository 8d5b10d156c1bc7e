import type { ErrorObject, ValidateFunction } from 'ajv';
import { fromPointer } from './findings';
import { didYouMean } from '../util/suggest';

export interface SchemaProblem {
  path: string[];
  /** Point at the key rather than the value (unknown properties). */
  atKey: boolean;
  message: string;
}

// The schema compiled ahead of time by `npm run schema` (ajv standalone code, allErrors and verbose):
// no schema compilation at start-up. A test fails when it is stale.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const validator = (): ValidateFunction => require('./schema-validator.generated') as ValidateFunction;

/** Connections validated at once; see `schemaErrors`. */
const SLICE = 256;

/**
 * Every schema error of `value`. ajv's generated code appends the errors of each list item by
 * copying the errors gathered so far (quadratic: 86,000 errors took minutes), so a long
 * `connections` list is validated a slice at a time, with the item indices put back.
 */
function schemaErrors(value: unknown): ErrorObject[] {
  const validate = validator();
  const root =
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  const connections = root?.connections;
  if (!root || !Array.isArray(connections) || connections.length <= SLICE)
    return validate(value) ? [] : [...(validate.errors ?? [])];
  const errors: ErrorObject[] = [];
  for (let start = 0; start < connections.length; start += SLICE) {
    if (validate({ ...root, connections: connections.slice(start, start + SLICE) })) continue;
    for (const error of validate.errors ?? []) {
      const item = /^\/connections\/(\d+)(?=\/|$)/.exec(error.instancePath);
      if (item)
        errors.push({
          ...error,
          instancePath: `/connections/${start + Number(item[1])}${error.instancePath.slice(item[0].length)}`,
        });
      // Errors outside the list are the same for every slice: kept once.
      else if (start === 0) errors.push(error);
    }
  }
  return errors;
}

/** Schema problems in `value`, each with a message a person can act on. */
export function checkSchema(value: unknown): SchemaProblem[] {
  const errors = schemaErrors(value);
  if (errors.length === 0) return [];
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const problem = translate(error, value);
    if (!problem) continue;
    const key = `${problem.path.join('/')}|${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

function valueAt(root: unknown, path: string[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v !== null && typeof v === 'object') v = (v as Record<string, unknown>)[p];
    else return undefined;
  }
  return v;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  integer: 'a whole number',
  number: 'a number',
};

/** `connections[1].triggers[0]` for ['connections', '1', 'triggers', '0']. */
export function displayPath(path: ReadonlyArray<string>): string {
  let out = '';
  for (const p of path) out += /^\d+$/.test(p) ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

/** The name to call a value by in a message: its key, or its whole path when it is a list item. */
function last(path: string[]): string {
  const tail = path[path.length - 1] ?? '';
  return /^\d+$/.test(tail) ? displayPath(path) : tail;
}

function translate(error: ErrorObject, root: unknown): SchemaProblem | undefined {
  const path = fromPointer(error.instancePath);
  const field = last(path);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const parent = error.parentSchema as { properties?: Record<string, unknown> } | undefined;
      const allowed = Object.keys(parent?.properties ?? {});
      const hint = didYouMean(name, allowed);
      return {
        path: [...path, name],
        atKey: true,
        message: `unknown property '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}; allowed: ${allowed.join(', ')}`,
      };
    }
    case 'required': {
      const name = String(params.missingProperty);
      const where = path.length === 0 ? 'the file' : displayPath(path);
      return { path, atKey: false, message: `missing required property '${name}' in ${where}` };
    }
    case 'type': {
      if (path.length === 0) {
        return {
          path,
          atKey: false,
          message: `the top level must be a mapping with \`version\`, \`nodes\` and \`connections\`, found ${describe(root)}`,
        };
      }
      const want = TYPE_NAMES[String(params.type)] ?? String(params.type);
      return {
        path,
        atKey: false,
        message: `'${field}' must be ${want}, found ${describe(valueAt(root, path))}`,
      };
    }
    case 'const':
      if (path.length === 1 && field === 'version') {
        const v = valueAt(root, path);
        return {
          path,
          atKey: false,
          message: `unsupported version ${JSON.stringify(v)}: this tool reads version 1`,
        };
      }
      return { path, atKey: false, message: `'${field}' must be ${JSON.stringify(params.allowedValue)}` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const got = valueAt(root, path);
      const hint = typeof got === 'string' ? didYouMean(got, allowed) : undefined;
      return {
        path,
        atKey: false,
        message: `'${field}' must be one of ${allowed.join(', ')}; found ${JSON.stringify(got)}${hint ? ` (did you mean '${hint}'?)` : ''}`,
      };
    }
    case 'pattern': {
      if (error.propertyName !== undefined) {
        return {
          path: [...path, error.propertyName],
          atKey: true,
          message: `node name '${error.propertyName}' must start with a lower-case letter or digit and contain only lower-case letters, digits, '-' and '_' (at most 63)`,
        };
      }
      if (field === 'token' && path[0] === 'nodes') {
        // Never echo the value: it may be a real secret.
        return {
          path,
          atKey: false,
          message:
            'a literal token is not allowed: reference an environment variable, e.g. token: ${ACME_TOKEN}',
        };
      }
      if (field === 'owner') {
        return {
          path,
          atKey: false,
          message: "'owner' must be lower-case letters, digits, '.', '-' or '_' (at most 63)",
        };
      }
      return { path, atKey: false, message: `'${field}' must not start or end with white space` };
    }
    case 'propertyNames':
      return undefined; // reported by the nested 'pattern' error with the property name
    case 'minLength':
      return { path, atKey: false, message: `'${field}' must not be empty` };
    case 'maxLength':
      return { path, atKey: false, message: `'${field}' must be at most ${String(params.limit)} characters` };
    case 'minProperties':
      if (path.length === 1 && field === 'nodes')
        return { path, atKey: false, message: 'declare at least one node under `nodes`' };
      if (field === 'remote') return { path, atKey: false, message: "'remote' needs 'url' or 'node'" };
      if (field === 'rules') return { path, atKey: false, message: "'rules' needs 'outgoing' or 'incoming'" };
      return { path, atKey: false, message: `'${field}' must not be empty` };
    case 'maxProperties':
      if (field === 'remote')
        return { path, atKey: false, message: "'remote' takes either 'url' or 'node', not both" };
      return { path, atKey: false, message: `'${field}' has too many properties` };
    default:
      return { path, atKey: false, message: `'${field || 'file'}' ${error.message ?? 'is invalid'}` };
  }
}
