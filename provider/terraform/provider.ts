/**
 * The `exalate` Terraform provider: `exalate_connection` and two data sources, on the same engine
 * as the CLI (the one diff, the same plan and apply steps, the same ownership marker, platform
 * rules and messages as `validate`).
 */
import { create } from '@bufbuild/protobuf';
import type { NodeApi } from '../api/types';
import { checkSchema } from '../config/schema-check';
import { checkSemantics } from '../config/semantics';
import type { RuleFiles } from '../config/rules';
import { toPointer } from '../config/findings';
import { adoptedValues } from '../engine/adopt';
import { isPairedWith } from '../engine/diff';
import { clientFactory } from '../engine/clients';
import { liveNode } from '../engine/live';
import { expand, remoteUrlOf, type Env, type ResolvedNode } from '../engine/nodes';
import { findCounterpart } from '../engine/plan';
import {
  applyOne,
  planDeleteOne,
  planOne,
  readOne,
  type KnownInvitation,
  type LiveConnection,
  type ResourceContext,
} from '../engine/resource';
import { DEFAULT_OWNER, type DesiredNode } from '../model/connection';
import { IacError } from '../model/errors';
import { COMPARED_FIELDS, CONNECTION_FIELDS } from '../model/fields';
import { normalizeUrl } from '../model/normalize';
import { readOwnership } from '../model/ownership';
import { modeOf } from '../api/contract';
import { isPlatform, PLATFORMS } from '../model/platforms';
import { isUnknown as isModelUnknown } from '../model/unknown';
import { desiredValues, diffValues } from '../engine/diff';
import {
  attributePath,
  decodeDynamicValue,
  decodeRawState,
  encodeDynamicValue,
  errorDiagnostic,
  pb,
  UNKNOWN,
  warningDiagnostic,
  type CtyValue,
  type HandlerContext,
  type ProviderHandlers,
} from './plugin';
import { CONNECTION_RESOURCE, CONNECTIONS_DATA, providerMetadata, providerSchema } from './schema';
import {
  adoptedState,
  emptyObject,
  hasUnknown,
  refreshedState,
  tfPath,
  toDesired,
  toFileConnection,
  withDefaults,
  type TfObject,
} from './values';

type Diagnostic = pb.Diagnostic;

interface Configured {
  ctx: ResourceContext;
  close(): Promise<void>;
}

/**
 * Rules given inline (script text), as the provider takes them: the checks see a name per
 * direction, and read the text through it (so the bidi warning still looks at the script).
 */
function inlineRules(connection: Record<string, unknown>): RuleFiles {
  const texts = new Map<string, string>();
  const rules = connection.rules as Record<string, string> | undefined;
  if (rules) {
    const named: Record<string, string> = {};
    for (const [direction, text] of Object.entries(rules)) {
      named[direction] = `inline:${direction}`;
      texts.set(`inline:${direction}`, text);
    }
    connection.rules = named;
  }
  return { problem: () => undefined, text: (name) => texts.get(name) ?? '', read: new Map() };
}

function obj(v: CtyValue): TfObject | null {
  return v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    !(v as object as { unknown?: true }).unknown
    ? (v as TfObject)
    : null;
}

/** The one mapping of a coded engine error to a Terraform diagnostic. */
export function diagnosticOf(error: unknown, resource?: string, path?: string[]): Diagnostic {
  const where = resource ? `${resource}: ` : '';
  if (IacError.is(error)) {
    const problems = [
      ...(error.findings ?? []).map((f) => `${f.file}:${f.line}:${f.col}: ${f.message}`),
      ...(error.problems ?? []).map((p) => p.message),
    ];
    return errorDiagnostic(`${where}${error.message}`, {
      detail: [error.hint ? `To fix: ${error.hint}.` : '', ...problems, `(${error.code})`]
        .filter(Boolean)
        .join('\n'),
      ...(path ? { path } : {}),
    });
  }
  return errorDiagnostic(
    `${where}${error instanceof Error ? error.message : String(error)}`,
    path ? { path } : {},
  );
}

/**
 * A resource's private state (kept by Terraform beside the state, never shown): the connection,
 * its version and the invitation time of the code the state holds, so that a refresh re-reads the
 * code only when the node reports something else. JSON; anything else reads as empty.
 */
interface PrivateState {
  connectionId?: number;
  version?: number;
  invitationCreatedAt?: string;
}

function privateState(live: LiveConnection | undefined): Uint8Array {
  const c = live?.connection;
  if (!live?.invitation || c?.version === undefined) return new Uint8Array();
  const state: PrivateState = {
    connectionId: c.id,
    version: c.version,
    invitationCreatedAt: live.invitation.createdAt,
  };
  return new TextEncoder().encode(JSON.stringify(state));
}

/** The code the state holds with what the private state recorded for it, if all of it is there. */
function knownInvitation(prior: TfObject, bytes: Uint8Array): KnownInvitation | undefined {
  if (typeof prior.invitation_code !== 'string' || bytes.length === 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const { connectionId, version, invitationCreatedAt } = parsed as Record<string, unknown>;
  if (
    typeof connectionId !== 'number' ||
    typeof version !== 'number' ||
    typeof invitationCreatedAt !== 'string'
  )
    return undefined;
  return {
    invitation: { invitationCode: prior.invitation_code, createdAt: invitationCreatedAt },
    connectionId,
    version,
  };
}

export class ExalateProviderServer {
  private configured?: Configured;
  private nodesConfig: { name: string; platform: string; url: string; tokenEnv?: string }[] = [];

  constructor(private readonly env: Env = process.env) {}

  handlers(): ProviderHandlers {
    return {
      getMetadata: () => providerMetadata(),
      getProviderSchema: () => providerSchema(),
      validateProviderConfig: (req) =>
        create(pb.ValidateProviderConfig_ResponseSchema, {
          diagnostics: this.validateProvider(decodeDynamicValue(req.config)),
        }),
      configureProvider: (req) => this.configure(req),
      validateResourceConfig: (req) =>
        create(pb.ValidateResourceConfig_ResponseSchema, {
          diagnostics: this.validateResource(decodeDynamicValue(req.config)),
        }),
      validateDataResourceConfig: () =>
        create(pb.ValidateDataResourceConfig_ResponseSchema, { diagnostics: [] }),
      upgradeResourceState: (req) => this.upgrade(req),
      readResource: (req, ctx) => this.read(req, ctx),
      planResourceChange: (req) => this.plan(req),
      applyResourceChange: (req) => this.apply(req),
      importResourceState: (req) => this.import(req),
      readDataSource: (req) => this.readData(req),
    };
  }

  async close(): Promise<void> {
    await this.configured?.close();
  }

  // ----------------------------------------------------------------------------------------------
  // Provider configuration

  private validateProvider(config: CtyValue): Diagnostic[] {
    const o = obj(config);
    if (!o) return [];
    const diagnostics: Diagnostic[] = [];
    const nodes = Array.isArray(o.node) ? o.node : [];
    const seen = new Set<string>();
    nodes.forEach((n, i) => {
      const node = obj(n);
      if (!node) return;
      if (typeof node.name === 'string') {
        if (seen.has(node.name))
          diagnostics.push(
            errorDiagnostic(`node '${node.name}' is declared twice`, { path: ['node', i, 'name'] }),
          );
        seen.add(node.name);
      }
      if (typeof node.platform === 'string' && !isPlatform(node.platform))
        diagnostics.push(
          errorDiagnostic(`unknown platform '${node.platform}'`, {
            detail: `One of: ${PLATFORMS.join(', ')}.`,
            path: ['node', i, 'platform'],
          }),
        );
      if (node.token === null && node.token_env === null)
        diagnostics.push(
          errorDiagnostic(`node '${String(node.name)}' has no credential`, {
            detail:
              'Set token_env to the name of the environment variable holding it (or token to a sensitive variable).',
            path: ['node', i],
          }),
        );
      if (typeof node.token_env === 'string' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(node.token_env))
        diagnostics.push(
          errorDiagnostic('token_env must be the name of an environment variable', {
            detail: 'The value is not shown: it may be a token put in the wrong attribute.',
            path: ['node', i, 'token_env'],
          }),
        );
    });
    return diagnostics;
  }

  private async configure(req: pb.ConfigureProvider_Request): Promise<pb.ConfigureProvider_Response> {
    const o = obj(decodeDynamicValue(req.config));
    const diagnostics = o ? this.validateProvider(o) : [];
    if (!o || diagnostics.length > 0) return create(pb.ConfigureProvider_ResponseSchema, { diagnostics });
    const owner = typeof o.owner === 'string' ? o.owner : DEFAULT_OWNER;
    const nodes = new Map<string, DesiredNode>();
    const resolved = new Map<string, ResolvedNode>();
    const problems: { message: string; location: { file: string; line: number; col: number } }[] = [];
    (Array.isArray(o.node) ? o.node : []).forEach((n, i) => {
      const node = obj(n) as TfObject;
      const name = String(node.name);
      const location = { file: 'provider "exalate"', line: 0, col: 0 };
      const url = expand(String(node.url), this.env, `node.${name}.url`, location, problems).replace(
        /\/+$/,
        '',
      );
      const tokenEnv = typeof node.token_env === 'string' ? node.token_env : undefined;
      const token =
        typeof node.token === 'string'
          ? node.token
          : tokenEnv !== undefined
            ? (this.env[tokenEnv] ?? '')
            : '';
      if (token === '')
        diagnostics.push(
          errorDiagnostic(`node '${name}': environment variable ${tokenEnv ?? '(token_env)'} is not set`, {
            detail:
              'Set it in the environment Terraform runs in (CI secrets), or pass token from a sensitive variable.',
            path: ['node', i, tokenEnv !== undefined ? 'token_env' : 'token'],
          }),
        );
      const userEnv = typeof node.user_env === 'string' ? node.user_env : undefined;
      const rate = typeof node.rate_limit === 'number' ? node.rate_limit : undefined;
      nodes.set(name, {
        name,
        url: String(node.url),
        platform: String(node.platform) as DesiredNode['platform'],
        tokenEnv: tokenEnv ?? '',
        ...(userEnv ? { userEnv } : {}),
        location,
      });
      resolved.set(name, {
        name,
        url,
        platform: String(node.platform) as ResolvedNode['platform'],
        token,
        user: userEnv !== undefined ? (this.env[userEnv] ?? '') : '',
        ...(this.env.EXALATE_ALLOW_INSECURE_HTTP === '1' ? { allowInsecureHttp: true } : {}),
        ...(rate !== undefined ? { rateLimit: rate } : {}),
      });
    });
    for (const p of problems) diagnostics.push(errorDiagnostic(p.message, { path: ['node'] }));
    if (diagnostics.length > 0) return create(pb.ConfigureProvider_ResponseSchema, { diagnostics });
    const factory = clientFactory();
    const clients = new Map<string, NodeApi>();
    try {
      for (const [name, node] of resolved) clients.set(name, factory(node));
    } catch (error) {
      await Promise.all([...clients.values()].map((c) => c.close()));
      return create(pb.ConfigureProvider_ResponseSchema, {
        diagnostics: [diagnosticOf(error, undefined, ['node'])],
      });
    }
    this.nodesConfig = [...nodes.values()].map((n) => ({
      name: n.name,
      platform: n.platform,
      url: n.url,
      tokenEnv: n.tokenEnv,
    }));
    this.configured = {
      ctx: { owner, nodes, resolved, clients, env: this.env, listings: new Map() },
      close: async () => {
        await Promise.all([...clients.values()].map((c) => c.close()));
      },
    };
    return create(pb.ConfigureProvider_ResponseSchema, { diagnostics: [] });
  }

  private context(): ResourceContext {
    if (!this.configured) throw new Error('the provider is not configured');
    return this.configured.ctx;
  }

  // ----------------------------------------------------------------------------------------------
  // Validation: the checks of `validate`, with Terraform attribute paths

  /** Local checks (no provider configuration needed): the schema and the semantic rules. */
  private validateResource(config: CtyValue): Diagnostic[] {
    const o = obj(config);
    if (!o || hasUnknown(o)) return [];
    return this.checks(o, false);
  }

  /** The same rules and messages as `validate`, on a one-connection file built from the resource. */
  private checks(o: TfObject, withNodes: boolean): Diagnostic[] {
    const connection = toFileConnection(o);
    const nodes: Record<string, unknown> = {};
    if (withNodes) {
      for (const n of this.nodesConfig)
        nodes[n.name] = { url: 'https://node.invalid', platform: n.platform, token: '${TOKEN}' };
    } else {
      // Without the provider's nodes, only what the connection says alone is checked.
      for (const name of [connection.node, (connection.remote as { node?: string } | undefined)?.node])
        if (typeof name === 'string')
          nodes[name] = { url: 'https://node.invalid', platform: 'jira-cloud', token: '${TOKEN}' };
    }
    const rules = inlineRules(connection);
    const root = { version: 1, nodes, connections: [connection] };
    const problems = [...checkSchema(root), ...checkSemantics(root, rules)].filter(
      (p) => withNodes || !['mode'].includes(p.path[2] ?? ''),
    );
    return problems
      .filter((p) => p.path[0] === 'connections')
      .map((p) => {
        const key = p.path.slice(2).join('.');
        const field = CONNECTION_FIELDS.find((f) => key === f.key || key.startsWith(`${f.key}.`));
        const path = field ? tfPath(field.key) : [];
        const summary = `${p.message}`;
        const detail = `exalate_connection.${String(o.name)}: ${toPointer(p.path.slice(2))}`;
        return (p as { severity?: string }).severity === 'warning'
          ? warningDiagnostic(summary, { detail, ...(path.length > 0 ? { path } : {}) })
          : errorDiagnostic(summary, { detail, ...(path.length > 0 ? { path } : {}) });
      });
  }

  // ----------------------------------------------------------------------------------------------
  // Resource

  private upgrade(req: pb.UpgradeResourceState_Request): pb.UpgradeResourceState_Response {
    const raw = obj(decodeRawState(req.rawState));
    const state = raw ? { ...emptyObject(), ...raw } : null;
    return create(pb.UpgradeResourceState_ResponseSchema, {
      upgradedState: encodeDynamicValue(state),
      diagnostics: [],
    });
  }

  private name(o: TfObject | null): string {
    return `${CONNECTION_RESOURCE} ${o ? `${String(o.node)}/${String(o.name)}` : ''}`.trim();
  }

  private async read(req: pb.ReadResource_Request, _ctx: HandlerContext): Promise<pb.ReadResource_Response> {
    const prior = obj(decodeDynamicValue(req.currentState));
    if (!prior) return create(pb.ReadResource_ResponseSchema, { newState: encodeDynamicValue(null) });
    try {
      const ctx = this.context();
      const node = String(prior.node);
      const id = typeof prior.connection_id === 'string' ? Number(prior.connection_id) : undefined;
      const remoteNode = typeof prior.remote_node === 'string' ? prior.remote_node : undefined;
      const known = knownInvitation(prior, req.private);
      const live = await readOne(ctx, {
        node,
        name: String(prior.name),
        ...(id !== undefined ? { id } : {}),
        ...(remoteNode ? { remoteNode } : {}),
        ...(known ? { known } : {}),
      });
      // Deleted outside Terraform: a null state, so the plan shows it is to be created.
      if (!live)
        return create(pb.ReadResource_ResponseSchema, {
          newState: encodeDynamicValue(null),
          private: privateState(undefined),
        });
      let state: TfObject;
      if (prior.connection_id === null || prior.mode === null) {
        // Imported: everything comes from the node, the accepting side from whichever declared
        // node holds it.
        state = this.adopt(ctx, node, live.connection, await this.withAcceptingSide(ctx, node, live));
      } else {
        const d = toDesired(prior);
        state = refreshedState(prior, live, {
          owner: ctx.owner,
          remoteUrl: remoteUrlOf(d, ctx.resolved, ctx.env),
        });
      }
      return create(pb.ReadResource_ResponseSchema, {
        newState: encodeDynamicValue(state),
        private: privateState(live),
      });
    } catch (error) {
      return create(pb.ReadResource_ResponseSchema, { diagnostics: [diagnosticOf(error, this.name(prior))] });
    }
  }

  /** The live connection with its accepting side, looked for on every other declared node. */
  private async withAcceptingSide(
    ctx: ResourceContext,
    node: string,
    live: NonNullable<Awaited<ReturnType<typeof readOne>>>,
  ): Promise<NonNullable<Awaited<ReturnType<typeof readOne>>>> {
    if (live.connection.communication.type === 'LOCAL' || live.connection.status === 'PENDING') return live;
    for (const other of ctx.clients.keys()) {
      if (other === node) continue;
      const found = await readOne(ctx, {
        node,
        name: live.connection.name,
        id: live.connection.id,
        remoteNode: other,
      });
      const side = found?.counterpart;
      if (side && !isModelUnknown(side) && isPairedWith(side, live.connection))
        return { ...live, counterpart: side, counterpartNode: other };
    }
    return live;
  }

  private adopt(
    ctx: ResourceContext,
    node: string,
    c: import('../api/contract').Connection,
    live: Awaited<ReturnType<typeof readOne>>,
  ): TfObject {
    const nodeUrl = ctx.resolved.get(node)?.url;
    const counterpart = live?.counterpart;
    const adopted = adoptedValues(c, {
      node,
      owner: ctx.owner,
      declaredByUrl: (url) =>
        [...ctx.resolved.values()].find((n) => n.name !== node && normalizeUrl(n.url) === normalizeUrl(url))
          ?.name,
      counterpart: (conn) => {
        if (counterpart && !isModelUnknown(counterpart) && live?.counterpartNode !== undefined) {
          const side = findCounterpart(liveNode([counterpart]), conn.name, nodeUrl);
          if (side && isPairedWith(side, conn))
            return {
              node: live.counterpartNode,
              ...(side.incomingScope !== undefined ? { scope: side.incomingScope } : {}),
            };
        }
        return undefined;
      },
    });
    if ('skip' in adopted) throw new Error(`cannot import ${node}/${c.name}: ${adopted.skip}`);
    return adoptedState(node, adopted.values, live as NonNullable<typeof live>);
  }

  private async plan(req: pb.PlanResourceChange_Request): Promise<pb.PlanResourceChange_Response> {
    const prior = obj(decodeDynamicValue(req.priorState));
    const proposed = obj(decodeDynamicValue(req.proposedNewState));
    const config = obj(decodeDynamicValue(req.config));
    const resource = this.name(proposed ?? prior);
    if (!proposed) {
      // Destroy: a connection whose protection is on is never deleted.
      if (prior?.protect === true)
        return create(pb.PlanResourceChange_ResponseSchema, {
          plannedState: encodeDynamicValue(null),
          diagnostics: [
            errorDiagnostic(`${resource}: protected (protect = true): it is never deleted`, {
              detail: 'Set protect = false and apply first, then remove it.',
              path: ['protect'],
            }),
          ],
        });
      return create(pb.PlanResourceChange_ResponseSchema, { plannedState: encodeDynamicValue(null) });
    }
    const planned = withDefaults({ ...proposed, ...(config ? pickConfig(config) : {}) }, prior);
    const diagnostics = this.configured && !hasUnknown(planned) ? this.checks(planned, true) : [];
    if (diagnostics.some((d) => d.severity === pb.Diagnostic_Severity.ERROR))
      return create(pb.PlanResourceChange_ResponseSchema, {
        plannedState: encodeDynamicValue(planned),
        diagnostics,
      });
    const known = typeof planned.node === 'string' && typeof planned.name === 'string';
    planned.id = known ? `${String(planned.node)}/${String(planned.name)}` : UNKNOWN;
    const computedUnknown = (o: TfObject) => {
      for (const a of [
        'connection_id',
        'status',
        'invitation_code',
        'accepting_connection_id',
        'accepting_status',
      ])
        o[a] = UNKNOWN;
    };
    if (!prior) {
      computedUnknown(planned);
      return create(pb.PlanResourceChange_ResponseSchema, {
        plannedState: encodeDynamicValue(planned),
        diagnostics,
      });
    }
    // The one diff, between what the configuration wants and what the state holds.
    const requiresReplace: pb.AttributePath[] = [];
    for (const key of ['name', 'node'] as const)
      if (planned[key] !== prior[key] && !isUnknownValue(planned[key]))
        requiresReplace.push(attributePath(key));
    let changes: boolean;
    if (!hasUnknown(planned) && this.configured) {
      const ctx = this.context();
      const want = toDesired(planned);
      const have = toDesired(prior);
      const diff = diffValues(
        desiredValues(want, { owner: ctx.owner, remoteUrl: remoteUrlOf(want, ctx.resolved, ctx.env) }),
        desiredValues(have, { owner: ctx.owner, remoteUrl: remoteUrlOf(have, ctx.resolved, ctx.env) }),
        COMPARED_FIELDS,
      );
      for (const c of diff.replacements) requiresReplace.push(attributePath(...tfPath(c.field)));
      changes = diff.updates.length > 0;
    } else {
      changes = true;
    }
    if (requiresReplace.length > 0) computedUnknown(planned);
    else {
      for (const a of [
        'connection_id',
        'status',
        'invitation_code',
        'accepting_connection_id',
        'accepting_status',
      ])
        planned[a] = prior[a] ?? null;
      if (changes && planned.enabled !== prior.enabled) planned.status = UNKNOWN;
    }
    return create(pb.PlanResourceChange_ResponseSchema, {
      plannedState: encodeDynamicValue(planned),
      requiresReplace,
      plannedPrivate: req.priorPrivate,
      diagnostics,
    });
  }

  private async apply(req: pb.ApplyResourceChange_Request): Promise<pb.ApplyResourceChange_Response> {
    const prior = obj(decodeDynamicValue(req.priorState));
    const planned = obj(decodeDynamicValue(req.plannedState));
    const resource = this.name(planned ?? prior);
    try {
      // Writes follow: what was listed for reading is no longer current, and an apply reads fresh
      // (other resources are applied at the same time).
      this.context().listings?.clear();
      const ctx: ResourceContext = { ...this.context(), listings: undefined };
      if (!planned) {
        const id = Number(prior?.connection_id);
        const node = String(prior?.node);
        const remoteNode = typeof prior?.remote_node === 'string' ? prior.remote_node : undefined;
        const plan = await planDeleteOne(ctx, {
          node,
          name: String(prior?.name),
          id,
          ...(remoteNode ? { remoteNode } : {}),
        });
        if (plan) {
          const result = await applyOne(ctx, plan);
          const failure = result.failed[0];
          if (failure)
            return create(pb.ApplyResourceChange_ResponseSchema, {
              newState: encodeDynamicValue(prior),
              diagnostics: [
                errorDiagnostic(`${resource}: ${failure.message}`, {
                  detail: `(${failure.code ?? 'ERROR'})`,
                }),
              ],
            });
        }
        return create(pb.ApplyResourceChange_ResponseSchema, { newState: encodeDynamicValue(null) });
      }
      const d = toDesired(planned);
      const { plan, action } = await planOne(ctx, d, false);
      if (action.kind === 'replace') {
        return create(pb.ApplyResourceChange_ResponseSchema, {
          newState: encodeDynamicValue(prior),
          diagnostics: [
            errorDiagnostic(`${resource}: changed on the node since the plan (${action.reason})`, {
              detail: 'Run terraform plan again and review the replacement.',
            }),
          ],
        });
      }
      const result = await applyOne(ctx, plan);
      const failure = result.failed[0];
      if (failure) {
        return create(pb.ApplyResourceChange_ResponseSchema, {
          ...(prior ? { newState: encodeDynamicValue(prior) } : {}),
          diagnostics: [
            errorDiagnostic(`${resource}: ${failure.message}`, { detail: `(${failure.code ?? 'ERROR'})` }),
          ],
        });
      }
      const live = await readOne(ctx, {
        node: d.node,
        name: d.name,
        ...(d.remote?.node ? { remoteNode: d.remote.node } : {}),
      });
      if (!live) throw new Error('the connection is not on the node after apply');
      const state = refreshedState({ ...planned, connection_id: String(live.connection.id) }, live, {
        owner: ctx.owner,
        remoteUrl: remoteUrlOf(d, ctx.resolved, ctx.env),
      });
      return create(pb.ApplyResourceChange_ResponseSchema, {
        newState: encodeDynamicValue(state),
        private: privateState(live),
      });
    } catch (error) {
      return create(pb.ApplyResourceChange_ResponseSchema, {
        ...(prior ? { newState: encodeDynamicValue(prior) } : {}),
        diagnostics: [diagnosticOf(error, resource)],
      });
    }
  }

  private import(req: pb.ImportResourceState_Request): pb.ImportResourceState_Response {
    const m = /^([^/]+)\/(.+)$/.exec(req.id);
    if (!m)
      return create(pb.ImportResourceState_ResponseSchema, {
        diagnostics: [
          errorDiagnostic(`cannot import '${req.id.slice(0, 200)}': the id is <node>/<connection name>`, {
            detail: 'For example: terraform import exalate_connection.vendor acme-jira/jira-to-vendor',
          }),
        ],
      });
    const stub = { ...emptyObject(), id: req.id, node: m[1] as string, name: m[2] as string };
    return create(pb.ImportResourceState_ResponseSchema, {
      importedResources: [{ typeName: req.typeName, state: encodeDynamicValue(stub) }],
    });
  }

  // ----------------------------------------------------------------------------------------------
  // Data sources

  private async readData(req: pb.ReadDataSource_Request): Promise<pb.ReadDataSource_Response> {
    const config = obj(decodeDynamicValue(req.config)) ?? {};
    try {
      const ctx = this.context();
      const node = String(config.node);
      if (req.typeName === CONNECTIONS_DATA) {
        const client = ctx.clients.get(node);
        if (!client) throw new Error(`node '${node}' is not declared in the provider`);
        const connections: TfObject[] = [];
        for await (const c of client.listConnections()) {
          connections.push({
            name: c.name,
            connection_id: String(c.id),
            status: c.status,
            mode: modeOf(c.configurationType) ?? null,
            private: c.communication.type !== undefined ? c.communication.type === 'PRIVATE' : null,
            remote_url: c.communication.remoteUrl ?? null,
            role: c.role ?? null,
            owner: ownerOf(c.description) ?? null,
          });
        }
        return create(pb.ReadDataSource_ResponseSchema, {
          state: encodeDynamicValue({ node, id: node, connections }),
        });
      }
      const name = String(config.name);
      const live = await readOne(ctx, { node, name });
      if (!live) throw new Error(`no connection named '${name}' on node '${node}'`);
      const state = this.adopt(
        { ...ctx, owner: ownerOf(live.connection.description) ?? ctx.owner },
        node,
        live.connection,
        live,
      );
      const { invitation_code: _code, ...data } = state;
      return create(pb.ReadDataSource_ResponseSchema, { state: encodeDynamicValue(data) });
    } catch (error) {
      return create(pb.ReadDataSource_ResponseSchema, { diagnostics: [diagnosticOf(error, req.typeName)] });
    }
  }
}

/** The owner recorded in a description's marker (the one parser of it, `model/ownership.ts`). */
function ownerOf(description: string | undefined): string | undefined {
  return description !== undefined ? readOwnership(description).ownership?.owner : undefined;
}

function isUnknownValue(v: CtyValue | undefined): boolean {
  return v === UNKNOWN;
}

/** The configuration's own values of the registry's fields (computed attributes stay out). */
function pickConfig(config: TfObject): TfObject {
  const out: TfObject = {};
  for (const f of CONNECTION_FIELDS) {
    const [head] = f.tf.split('.') as [string];
    if (head in config) out[head] = config[head] ?? null;
  }
  return out;
}
