/**
 * `exalate-iac check-node`: a read-only look at a real node before the first apply. It
 * authenticates, lists, reads the node's own API description (`<node-url>/swagger`) and compares
 * it with the operations of our contract (`schemas/exalate-node-api.openapi.yaml`), and says which
 * modeled fields and refinements the node's listing honours.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { API_BASE } from '../api/contract';
import { ExalateError } from '../api/errors';
import type { ApiDescription, ApiDescriptionResult, Connection, ListingProbe, NodeApi } from '../api/types';
import { DEFAULT_CONFIG_FILE } from '../config/load';
import { openWorkspace } from '../engine/session';
import type { DesiredState } from '../model/connection';
import { errors } from '../model/errors';
import { INVITATION_CODE } from '../model/platforms';
import { mapLimit } from '../util/concurrency';
import { packageRoot } from '../util/paths';
import { parseCommandArgs } from './args';
import { engineContext, type Deps } from './context';
import { reportFindings, UsageError } from './errors';
import { Io } from './io';
import { term } from './terminal';

const HELP = `Usage: exalate-iac check-node [--file FILE] [--node NAME] [--format text|json]

Read-only: check that a node offers what exalate-iac needs, before the first apply. For each node
declared in FILE (or only NAME) it authenticates, lists the connections, reads the node's own API
description at <node-url>/swagger, and reports:
  - which operations of exalate-iac's contract the node offers and which are missing
    (schemas/exalate-node-api.openapi.yaml; method and path, whatever the parameter names;
    accepting a visual connection is needed only on a node where FILE accepts one);
  - which modeled fields the listed connections carry (fields a node does not report are not
    compared by plan, drift or apply);
  - whether paging, expand and the name filter are honoured (the client falls back when not).
Nothing on the node changes.

  --file FILE       connections file (default: ${DEFAULT_CONFIG_FILE})
  --node NAME       check only this declared node
  --format FORMAT   text (default) or json

Exit status: 0 when every checked node offers everything apply needs, 1 otherwise.`;

/** The contract's operations `apply` calls (the rest: `getInfo` unused, `regenerateInvitation` by regenerate). */
export const APPLY_NEEDS: readonly string[] = [
  'authenticate',
  'listConnections',
  'getConnection',
  'createConnection',
  'updateConnection',
  'deleteConnection',
  'getInvitation',
  'acceptInvitation',
  'getRules',
  'putRules',
  'getTriggers',
  'putTriggers',
];

/**
 * Operations `apply` calls only on a node where the file declares a connection to accept without
 * an invitation code (Visual mode, `remote.node` naming that node): a node without them is ready
 * for every other connection.
 */
export const CODELESS_ACCEPT_NEEDS: readonly string[] = ['acceptConnectionRequest'];

/** Whether the connections of `state` make apply accept a connection without a code on `node`. */
export function acceptsWithoutCode(state: DesiredState, node: string): boolean {
  return state.connections.some(
    (c) => c.remote?.node === node && c.type !== 'local' && !INVITATION_CODE[c.mode],
  );
}

/** The modeled fields of a listed connection (`id`, `name`, `status`, `communication.remoteUrl` are observed). */
export const MODELED_FIELDS = [
  'configurationType',
  'localShortName',
  'remoteShortName',
  'description',
  'communication.type',
  'version',
  'role',
  'rules',
  'triggers',
] as const;
type ModeledField = (typeof MODELED_FIELDS)[number];

export interface ContractOperation {
  operationId: string;
  method: string;
  /** Below the API base, as the contract writes it (`/connections/{id}`). */
  path: string;
  source: 'observed' | 'modeled';
}

/** Our contract's operations, read from the OpenAPI document shipped with the package. */
export function contractOperations(
  file = path.join(packageRoot(), 'schemas', 'exalate-node-api.openapi.yaml'),
) {
  const doc = parse(readFileSync(file, 'utf8')) as { paths?: Record<string, Record<string, unknown>> };
  const out: ContractOperation[] = [];
  for (const [template, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      if (typeof op !== 'object' || op === null || !('operationId' in op)) continue;
      const o = op as { operationId: string; 'x-exalate-source'?: string };
      out.push({
        operationId: o.operationId,
        method: method.toUpperCase(),
        path: template,
        source: o['x-exalate-source'] === 'observed' ? 'observed' : 'modeled',
      });
    }
  }
  return out;
}

/** A path template compared loosely: parameter names dropped, the API base and trailing `/` removed. */
function normalise(template: string): string {
  let out = template.replace(/\{[^}]*\}/g, '{}').replace(/\/+$/, '');
  const at = out.indexOf(API_BASE);
  if (at >= 0) out = out.slice(at + API_BASE.length);
  return out === '' ? '/' : out;
}

/** Whether the node's description lists `op` (same method, same path up to parameter names and prefix). */
export function offers(description: ApiDescription, op: { method: string; path: string }): boolean {
  const wanted = normalise(op.path);
  return description.operations.some(
    (o) =>
      o.method === op.method &&
      (normalise(o.path) === wanted ||
        (description.basePath !== '' &&
          o.path.startsWith(description.basePath) &&
          normalise(o.path.slice(description.basePath.length)) === wanted)),
  );
}

type FieldVerdict = 'all' | 'some' | 'none' | 'cannot tell';
export interface FieldPresence {
  present: number;
  of: number;
  verdict: FieldVerdict;
}

function has(c: Connection, field: ModeledField): boolean {
  if (field === 'communication.type') return c.communication.type !== undefined;
  return c[field] !== undefined;
}

/** Which modeled fields the listed connections carry; rules are counted on Script connections (or of unknown mode). */
export function fieldPresence(connections: readonly Connection[]): Record<ModeledField, FieldPresence> {
  const out = {} as Record<ModeledField, FieldPresence>;
  for (const field of MODELED_FIELDS) {
    const pool =
      field === 'rules'
        ? connections.filter((c) => c.configurationType === undefined || c.configurationType === 'SCRIPT')
        : connections;
    const present = pool.filter((c) => has(c, field)).length;
    const of = pool.length;
    out[field] = {
      present,
      of,
      verdict: of === 0 ? 'cannot tell' : present === of ? 'all' : present === 0 ? 'none' : 'some',
    };
  }
  return out;
}

export interface OperationCheck extends ContractOperation {
  neededByApply: boolean;
  /** true: listed by the node's description (or answered during the check); false: not listed; null: no description. */
  offered: boolean | null;
}

export interface NodeCheck {
  node: string;
  url: string;
  platform: string;
  ok: boolean;
  /** Why the node is not ready for apply (empty when ok). */
  reasons: string[];
  authenticated: boolean;
  listing?: {
    connections: number;
    paging: ListingProbe['paging'];
    expand: ListingProbe['expand'];
    nameFilter: ListingProbe['nameFilter'];
    fields: Record<ModeledField, FieldPresence>;
  };
  swagger?:
    | { found: true; url: string; format: string; operations: number }
    | { found: false; url: string; reason: string };
  operations: OperationCheck[];
  error?: { code: string; message: string };
}

function opName(op: { method: string; path: string; operationId: string }): string {
  return `${op.method} ${op.path} (${op.operationId})`;
}

/** Everything about one node; errors of the node become findings of the check, not exceptions. */
export async function checkNode(
  name: string,
  url: string,
  platform: string,
  client: NodeApi,
  contract: readonly ContractOperation[],
  options: { acceptsWithoutCode?: boolean } = {},
): Promise<NodeCheck> {
  const check: NodeCheck = {
    node: name,
    url,
    platform,
    ok: false,
    reasons: [],
    authenticated: false,
    operations: [],
  };
  /** Operations the check exercised itself: a node that answered them offers them, swagger or not. */
  const answered = new Set<string>();
  try {
    let probe: ListingProbe;
    if (client.probeListing) probe = await client.probeListing();
    else {
      const connections: Connection[] = [];
      for await (const c of client.listConnections({ expand: ['rules', 'triggers'] })) connections.push(c);
      probe = { connections, paging: 'cannot tell', expand: 'cannot tell', nameFilter: 'cannot tell' };
    }
    check.authenticated = true;
    answered.add('authenticate').add('listConnections');
    check.listing = {
      connections: probe.connections.length,
      paging: probe.paging,
      expand: probe.expand,
      nameFilter: probe.nameFilter,
      fields: fieldPresence(probe.connections),
    };
    const swagger: ApiDescriptionResult = client.apiDescription
      ? await client.apiDescription()
      : { found: false, url: `${url}/swagger`, reason: 'this client cannot read API descriptions' };
    if (swagger.found) {
      check.swagger = {
        found: true,
        url: swagger.url,
        format: swagger.description.format,
        operations: swagger.description.operations.length,
      };
    } else {
      check.swagger = swagger;
      check.reasons.push(`no swagger: cannot verify the modeled operations (${swagger.reason})`);
    }
    check.operations = contract.map((op) => ({
      ...op,
      neededByApply:
        APPLY_NEEDS.includes(op.operationId) ||
        (options.acceptsWithoutCode === true && CODELESS_ACCEPT_NEEDS.includes(op.operationId)),
      offered: answered.has(op.operationId) ? true : swagger.found ? offers(swagger.description, op) : null,
    }));
    const missing = check.operations.filter((o) => o.neededByApply && o.offered === false);
    if (missing.length > 0)
      check.reasons.push(`missing operations apply needs: ${missing.map(opName).join(', ')}`);
  } catch (error) {
    if (!ExalateError.isExalateError(error)) throw error;
    check.error = { code: error.code, message: error.message };
    const authFailed = error.path === '/authenticate' || error.code === 'EXALATE_UNAUTHORIZED';
    check.authenticated = !authFailed;
    check.reasons.push(`${authFailed ? 'authentication' : 'listing'} failed: ${error.message}`);
  }
  check.ok = check.reasons.length === 0;
  return check;
}

function checkFormat(format: string | undefined): 'text' | 'json' {
  if (format === undefined || format === 'text' || format === 'json') return format ?? 'text';
  throw new UsageError(`--format must be text or json, got '${format}'`);
}

function toJson(checks: NodeCheck[]): unknown {
  return {
    format_version: '1',
    ok: checks.every((c) => c.ok),
    nodes: checks.map((c) => ({
      node: c.node,
      url: c.url,
      platform: c.platform,
      ok: c.ok,
      reasons: c.reasons,
      authenticated: c.authenticated,
      listing: c.listing
        ? {
            connections: c.listing.connections,
            paging: c.listing.paging,
            expand: c.listing.expand,
            name_filter: c.listing.nameFilter,
            fields: c.listing.fields,
          }
        : null,
      swagger: c.swagger ?? null,
      operations: c.operations.map((o) => ({
        operation_id: o.operationId,
        method: o.method,
        path: o.path,
        source: o.source,
        needed_by_apply: o.neededByApply,
        offered: o.offered,
      })),
      missing: c.operations.filter((o) => o.offered === false).map((o) => o.operationId),
      error: c.error ?? null,
    })),
  };
}

function renderText(checks: NodeCheck[]): string {
  const out: string[] = [];
  for (const c of checks) {
    out.push(`${term(c.node)} (${c.platform}) at ${term(c.url)}`);
    out.push(`  authentication: ${c.authenticated ? 'ok' : 'failed'}`);
    if (c.listing) {
      const l = c.listing;
      out.push(
        `  listing: ${l.connections} connection${l.connections === 1 ? '' : 's'}; paging ${l.paging}, expand ${l.expand}, name filter ${l.nameFilter}`,
      );
      const fields = MODELED_FIELDS.map((f) => {
        const p = l.fields[f];
        return p.verdict === 'cannot tell' ? `${f} cannot tell` : `${f} ${p.present}/${p.of}`;
      });
      out.push(
        l.connections === 0
          ? '  modeled fields on listed connections: cannot tell (no connections to look at)'
          : `  modeled fields on listed connections: ${fields.join(', ')}`,
      );
      const unreported = MODELED_FIELDS.filter(
        (f) => l.fields[f].verdict !== 'all' && l.fields[f].verdict !== 'cannot tell',
      );
      if (unreported.length > 0)
        out.push(
          `    not always reported (plan, drift and apply do not compare them): ${unreported.join(', ')}`,
        );
    }
    if (c.swagger) {
      out.push(
        c.swagger.found
          ? `  swagger: ${term(c.swagger.url)} (${term(c.swagger.format)}, ${c.swagger.operations} operations)`
          : `  swagger: none: cannot verify the modeled operations (${term(c.swagger.reason)})`,
      );
    }
    if (c.operations.length > 0) {
      for (const o of c.operations) {
        const mark = o.offered === true ? 'offered' : o.offered === false ? 'MISSING' : 'unverified';
        out.push(
          `    ${mark.padEnd(10)} ${o.method.padEnd(6)} ${o.path}  ${o.operationId}${o.neededByApply ? '' : CODELESS_ACCEPT_NEEDS.includes(o.operationId) ? ' (used by apply only to accept visual connections here)' : ' (not used by apply)'} [${o.source}]`,
        );
      }
    }
    out.push(c.ok ? '  ready: everything apply needs is offered' : `  not ready for apply:`);
    for (const r of c.reasons) out.push(`    - ${term(r)}`);
    out.push('');
  }
  return out.join('\n');
}

export async function run(argv: string[], io: Io, deps: Deps): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      file: { type: 'string', short: 'f', default: DEFAULT_CONFIG_FILE },
      node: { type: 'string' },
      format: { type: 'string' },
    },
    HELP,
    io.out,
    false,
  );
  if (!args) return 0;
  const format = checkFormat(args.values.format);
  const contract = contractOperations();
  const ws = await openWorkspace(args.values.file, engineContext(io, deps, args.values.verbose));
  let checks: NodeCheck[];
  try {
    // JSON stays pure JSON on stdout: warnings (and their GitHub annotations) go to stderr.
    reportFindings(format === 'json' ? { ...io, out: io.err } : io, ws.warnings);
    const wanted = args.values.node;
    if (wanted !== undefined && !ws.state.nodes.has(wanted))
      throw errors.notDeclared(`node '${wanted}'`, args.values.file, [...ws.state.nodes.keys()]);
    const names = wanted !== undefined ? [wanted] : [...ws.state.nodes.keys()];
    checks = await mapLimit(names, 4, (name) => {
      const node = ws.resolved.get(name);
      const client = ws.clients.get(name);
      if (!node || !client) throw new Error(`check-node: node '${name}' has no client`);
      return checkNode(name, node.url, node.platform, client, contract, {
        acceptsWithoutCode: acceptsWithoutCode(ws.state, name),
      });
    });
  } finally {
    await ws.close();
  }
  io.out(format === 'json' ? `${JSON.stringify(toJson(checks), null, 2)}\n` : renderText(checks));
  return checks.every((c) => c.ok) ? 0 : 1;
}
