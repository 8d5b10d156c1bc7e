/**
 * Applying a plan: create, converge, accept, replace and delete, with bounded parallelism. Every
 * step is idempotent: after a crash the next plan and apply finish the job without creating
 * anything twice. What changes is decided by the one diff (`diff.ts`); how a changed field is
 * written is its registry `writer`.
 */
import { communicationTypeOf, configurationTypeOf, type Connection } from '../api/contract';
import type { NodeApi } from '../api/types';
import type { DesiredConnection } from '../model/connection';
import { IacError } from '../model/errors';
import { CONNECTION_FIELDS, field, type Writer } from '../model/fields';
import { normalizeTriggers } from '../model/normalize';
import { readOwnership, withOwnership } from '../model/ownership';
import { mapLimit } from '../util/concurrency';
import { diffConnection, isPairedWith, type DiffContext } from './diff';
import { readConnection } from './live';
import { remoteUrlOf, type Env, type ResolvedNode } from './nodes';
import { outputKey, type InvitationOutput } from './outputs';
import { liveNode } from './live';
import { acceptsWithCode, findCounterpart, VISUAL_WAITING, type Plan, type PlannedAction } from './plan';

export interface ApplyEvent {
  action: PlannedAction;
  phase: 'start' | 'done' | 'failed';
  message: string;
}

export interface ApplyOptions {
  parallelism: number;
  env: Env;
  onEvent?: (event: ApplyEvent) => void;
  /** `node/name` of connections whose code the outputs file already holds: re-reading it is best-effort. */
  knownCodes?: ReadonlySet<string>;
  now?: () => Date;
}

export interface ApplyFailure {
  node: string;
  connection: string;
  kind: PlannedAction['kind'];
  message: string;
  code?: string;
}

export interface ApplyResult {
  applied: number;
  failed: ApplyFailure[];
  /** Problems that did not stop the run (a code that could not be re-read but is already in the outputs). */
  warnings: { node: string; connection: string; message: string }[];
  /** Invitation codes produced or re-read (pending) and acceptances done. */
  invitations: InvitationOutput[];
  /** Outputs to forget (connections deleted). */
  removedOutputs: string[];
}

function codeOf(error: unknown): string | undefined {
  return IacError.is(error) ? error.code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** How each writer puts the declared value of its fields on the node. */
const WRITERS: Record<
  Writer,
  (api: NodeApi, current: Connection, d: DesiredConnection, owner: string) => Promise<Connection>
> = {
  description: (api, c, d, owner) =>
    api.updateConnection(
      c.id,
      { description: withOwnership(d.description, { owner, protect: d.protect }) },
      c.version,
    ),
  status: (api, c, d) =>
    api.updateConnection(c.id, { status: d.enabled ? 'ACTIVE' : 'DEACTIVATED' }, c.version),
  rules: (api, c, d) =>
    api.putRules(
      c.id,
      {
        outgoing: d.rules?.outgoing ?? c.rules?.outgoing ?? '',
        incoming: d.rules?.incoming ?? c.rules?.incoming ?? '',
      },
      c.version,
    ),
  triggers: (api, c, d) => api.putTriggers(c.id, normalizeTriggers(d.triggers), c.version),
};

class Step {
  constructor(
    readonly clients: ReadonlyMap<string, NodeApi>,
    readonly resolved: ReadonlyMap<string, ResolvedNode>,
    readonly owner: string,
    readonly env: Env,
    readonly invitations: InvitationOutput[],
    readonly now: () => Date,
  ) {}

  client(node: string): NodeApi {
    const c = this.clients.get(node);
    if (!c) throw new Error(`node '${node}' is not declared`);
    return c;
  }

  context(d: DesiredConnection, counterpart?: DiffContext['counterpart']): DiffContext {
    return {
      owner: this.owner,
      remoteUrl: remoteUrlOf(d, this.resolved, this.env),
      ...(counterpart !== undefined ? { counterpart } : {}),
    };
  }

  /** Initiate the connection with its rules and triggers in one call; after a conflict adopt ours. */
  async create(d: DesiredConnection): Promise<{ connection: Connection; code?: string }> {
    const api = this.client(d.node);
    const remoteUrl = remoteUrlOf(d, this.resolved, this.env);
    let result: { connection: Connection; code?: string };
    try {
      const created = await api.createConnection({
        name: d.name,
        description: withOwnership(d.description, { owner: this.owner, protect: d.protect }),
        localShortName: d.localShortName,
        remoteShortName: d.remoteShortName,
        configurationType: configurationTypeOf(d.mode),
        communication: { type: communicationTypeOf(d.type), ...(remoteUrl ? { remoteUrl } : {}) },
        ...(d.rules && d.mode === 'script'
          ? { rules: { outgoing: d.rules.outgoing ?? '', incoming: d.rules.incoming ?? '' } }
          : {}),
        ...(d.triggers.length > 0 ? { triggers: normalizeTriggers(d.triggers) } : {}),
      });
      result = {
        connection: created.connection,
        ...(created.invitationCode ? { code: created.invitationCode } : {}),
      };
    } catch (error) {
      if (codeOf(error) !== 'EXALATE_CONFLICT') throw error;
      const existing = await api.findConnectionByName(d.name, { expand: ['rules', 'triggers'] });
      if (!existing) throw error;
      result = { connection: existing };
    }
    // After a lost answer the client may hand back a connection it found by name: only adopt ours.
    const owner =
      result.connection.description !== undefined
        ? readOwnership(result.connection.description).ownership?.owner
        : undefined;
    if (owner !== this.owner) {
      throw new Error(
        `a connection named '${d.name}' already exists on '${d.node}'${owner ? `, owned by '${owner}'` : ', not created by this tool'}`,
      );
    }
    return result;
  }

  /**
   * Bring the updatable fields of a live connection to the declared values: the one diff, then
   * one call per writer of the fields that differ. Fields the node does not report are left
   * alone. When someone else changed it meanwhile (412), read it again and converge once more.
   */
  async converge(d: DesiredConnection, live: Connection): Promise<Connection> {
    try {
      return await this.convergeOnce(d, live);
    } catch (error) {
      if (codeOf(error) !== 'EXALATE_PRECONDITION_FAILED') throw error;
      return this.convergeOnce(d, await this.full(d.node, live.id));
    }
  }

  /** A connection read again, with its rules and triggers (to compare them). */
  full(node: string, id: number): Promise<Connection> {
    return readConnection(this.client(node), id);
  }

  private async convergeOnce(d: DesiredConnection, live: Connection): Promise<Connection> {
    const api = this.client(d.node);
    const { updates } = diffConnection(d, live, this.context(d));
    const writers = new Set(
      updates.map((c) => field(c.field).writer).filter((w): w is Writer => w !== undefined),
    );
    let current = live;
    // In registry order, so the same change always makes the same calls.
    for (const w of new Set(CONNECTION_FIELDS.map((f) => f.writer))) {
      if (w === undefined || !writers.has(w)) continue;
      const next = await WRITERS[w](api, current, d, this.owner);
      // Keep what the answer does not embed (a PATCH answers without rules and triggers).
      current = { ...next, rules: next.rules ?? current.rules, triggers: next.triggers ?? current.triggers };
    }
    return current;
  }

  /**
   * Accept the initiator on the declared remote node: with its invitation code, or, in Visual
   * mode (no code), by the initiating node's URL and the initiator's id. A "name taken" or
   * "already accepted" answer is a success only when the connection there is this initiator's
   * accepting side.
   */
  async accept(
    d: DesiredConnection,
    acceptOn: string,
    initiator: Connection,
    code: string | undefined,
  ): Promise<void> {
    const other = this.client(acceptOn);
    const scope = d.incomingScope ? { incomingScope: d.incomingScope } : {};
    try {
      if (acceptsWithCode(initiator, d.mode)) {
        const invitationCode = code ?? (await this.client(d.node).getInvitation(initiator.id)).invitationCode;
        await other.acceptInvitation({ invitationCode, ...scope });
      } else {
        const initiatorUrl = this.resolved.get(d.node)?.url;
        if (initiatorUrl === undefined) throw new Error(`node '${d.node}' has no URL to accept it by`);
        await other.acceptConnectionRequest({ initiatorUrl, connectionId: initiator.id, ...scope });
      }
    } catch (error) {
      const errorCode = codeOf(error);
      if (errorCode !== 'EXALATE_CONFLICT' && errorCode !== 'EXALATE_GONE') throw error;
      const peer = await other.findConnectionByName(d.name);
      const initiatorUrl = this.resolved.get(d.node)?.url;
      const side =
        peer &&
        findCounterpart({ connections: [peer], byName: new Map([[peer.name, peer]]) }, d.name, initiatorUrl);
      if (!side || !isPairedWith(side, await this.client(d.node).getConnection(initiator.id))) {
        throw new Error(
          `'${acceptOn}' has a connection named '${d.name}' that is not the accepting side of this one: the pair is broken; rename one of them, or delete the stray one on '${acceptOn}'`,
          { cause: error },
        );
      }
    }
    this.invitations.push({
      node: d.node,
      connection: d.name,
      status: 'accepted',
      acceptedOn: acceptOn,
      updatedAt: this.now().toISOString(),
    });
  }

  recordPending(d: { node: string; name: string }, code: string, createdAt: string | undefined): void {
    this.invitations.push({
      node: d.node,
      connection: d.name,
      status: 'pending',
      code,
      ...(createdAt ? { createdAt } : {}),
      updatedAt: this.now().toISOString(),
    });
  }

  /** A connection read again by id, or undefined when it is gone. */
  private async reread(node: string, id: number): Promise<Connection | undefined> {
    try {
      return await this.client(node).getConnection(id);
    } catch (error) {
      if (codeOf(error) === 'EXALATE_NOT_FOUND') return undefined;
      throw error;
    }
  }

  /** The accepting side of `name` on `node` as it is now (looked up by name), if any. */
  private async acceptingSide(
    node: string,
    name: string,
    initiatorNode: string,
  ): Promise<Connection | undefined> {
    const found = await this.client(node).findConnectionByName(name);
    if (!found) return undefined;
    return findCounterpart(liveNode([found]), name, this.resolved.get(initiatorNode)?.url);
  }

  /**
   * Whether the accepting side `side` may be deleted with (or instead of) the initiator `initiatorId`
   * on `initiatorNode`: it is paired with it (or the node does not say with which it pairs), or it
   * is an orphan of this owner — the initiator it names is gone — and not protected.
   */
  private async deletableSide(
    side: Connection,
    initiatorNode: string,
    initiatorId: number | undefined,
  ): Promise<boolean> {
    if (side.remoteConnectionId === undefined) return initiatorId !== undefined;
    if (side.remoteConnectionId === initiatorId) return true;
    const ownership = side.description !== undefined ? readOwnership(side.description).ownership : undefined;
    if (ownership?.owner !== this.owner || ownership.protect) return false;
    return (await this.reread(initiatorNode, side.remoteConnectionId)) === undefined;
  }

  /**
   * Delete the planned connection, then its accepting side on a declared node: never the other
   * way round, so a refusal leaves both. Both sides are read again just before: a replacement
   * that the nodes no longer call for (another run repaired the pair meanwhile) deletes nothing;
   * the initiator is deleted at the version just read (412 if it changes in between); the
   * accepting side found now by name is deleted only when it is this connection's, or an orphan
   * of this owner whose initiator is gone. Without a live initiator (a create over an orphaned
   * accepting side) only the orphan is deleted.
   */
  async remove(a: PlannedAction): Promise<void> {
    const sideNode = a.counterpart?.node ?? a.acceptOn;
    const [current, side] = await Promise.all([
      a.live ? this.reread(a.node, a.live.id) : Promise.resolve(undefined),
      sideNode !== undefined ? this.acceptingSide(sideNode, a.name, a.node) : Promise.resolve(undefined),
    ]);
    if (a.kind === 'replace' && a.desired && current) {
      const d = a.desired;
      const { replacements } = diffConnection(
        d,
        current,
        this.context(d, a.acceptOn !== undefined ? (side ?? null) : undefined),
      );
      if (replacements.length === 0)
        throw new Error(
          `'${a.name}' changed on the nodes since the plan was read and no longer needs replacing: nothing was deleted; run apply again`,
        );
    }
    if (current) await this.client(a.node).deleteConnection(current.id, current.version);
    if (side && sideNode !== undefined && (await this.deletableSide(side, a.node, a.live?.id)))
      await this.client(sideNode).deleteConnection(side.id, side.version);
  }
}

async function run(
  step: Step,
  a: PlannedAction,
  options: ApplyOptions,
  warn: (message: string) => void,
): Promise<string> {
  const d = a.desired;
  switch (a.kind) {
    case 'create':
    case 'replace': {
      if (!d) throw new Error('the plan has no declared connection for this action');
      // A replace removes the old pair; a create first removes an orphaned accepting side.
      if ((a.kind === 'replace' && a.live) || (a.kind === 'create' && a.counterpart)) await step.remove(a);
      const { connection, code } = await step.create(d);
      const current = await step.converge(d, connection);
      const verb = a.kind === 'create' ? 'created' : 'replaced';
      if (a.acceptOn && current.status === 'PENDING') {
        await step.accept(d, a.acceptOn, current, code);
        return `${verb} and accepted on '${a.acceptOn}'`;
      }
      if (current.status === 'PENDING' && !acceptsWithCode(current, d.mode))
        return `${verb}; ${VISUAL_WAITING}`;
      if (current.status === 'PENDING') {
        const inv = code
          ? { invitationCode: code, createdAt: current.invitationCreatedAt }
          : await step.client(d.node).getInvitation(current.id);
        step.recordPending(d, inv.invitationCode, inv.createdAt);
        return `${verb}; invitation code written to the outputs`;
      }
      return verb;
    }
    case 'update': {
      if (!d || !a.live) throw new Error('the plan has no declared connection for this action');
      const current = await step.converge(d, a.snapshot ?? (await step.full(a.node, a.live.id)));
      const updated = `updated ${a.changes.map((c) => c.field).join(', ')}`;
      if (current.status !== 'PENDING' || !acceptsWithCode(current, d.mode)) return updated;
      // Still waiting for its partner (e.g. created by a run that crashed): keep its code in the outputs.
      await rereadCode(step, a, options, warn);
      return `${updated}; invitation code written to the outputs`;
    }
    case 'accept': {
      if (!d || !a.live || !a.acceptOn)
        throw new Error('the plan has no declared connection for this action');
      const initiator = await step.converge(d, a.snapshot ?? (await step.full(a.node, a.live.id)));
      await step.accept(d, a.acceptOn, initiator, undefined);
      return `accepted on '${a.acceptOn}'`;
    }
    case 'delete': {
      await step.remove(a);
      return 'deleted';
    }
    case 'pending': {
      // Re-read the code so the outputs hold it even when an earlier run's outputs file is gone.
      if (!a.live) return 'waiting';
      if (!acceptsWithCode(a.snapshot, d?.mode)) return VISUAL_WAITING;
      await rereadCode(step, a, options, warn);
      return 'waiting for the partner; invitation code written to the outputs';
    }
    case 'no-op': {
      // An accepted connection whose record the outputs file lost is recorded again.
      if (
        d &&
        a.acceptOn === undefined &&
        d.remote?.node !== undefined &&
        d.type !== 'local' &&
        a.live?.status !== 'PENDING'
      )
        step.invitations.push({
          node: a.node,
          connection: a.name,
          status: 'accepted',
          acceptedOn: d.remote.node,
          updatedAt: step.now().toISOString(),
        });
      return 'unchanged';
    }
  }
}

/** The code of a pending connection, re-read; best-effort when the outputs already hold one. */
async function rereadCode(
  step: Step,
  a: PlannedAction,
  options: ApplyOptions,
  warn: (message: string) => void,
): Promise<void> {
  try {
    const inv = await step.client(a.node).getInvitation((a.live as { id: number }).id);
    step.recordPending(a, inv.invitationCode, inv.createdAt);
  } catch (error) {
    if (!options.knownCodes?.has(outputKey(a.node, a.name))) throw error;
    warn(
      `could not re-read the invitation code (${messageOf(error)}); the outputs file keeps the one it has`,
    );
  }
}

/**
 * Apply every action of the plan with at most `parallelism` in flight. A failure is reported
 * with its connection and reason while the rest go on.
 */
export async function applyPlan(
  plan: Plan,
  clients: ReadonlyMap<string, NodeApi>,
  resolved: ReadonlyMap<string, ResolvedNode>,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const invitations: InvitationOutput[] = [];
  const now = options.now ?? (() => new Date());
  const step = new Step(clients, resolved, plan.owner, options.env, invitations, now);
  const failed: ApplyFailure[] = [];
  const warnings: ApplyResult['warnings'] = [];
  const removedOutputs: string[] = [];
  let applied = 0;
  const accepted = (a: PlannedAction) =>
    a.kind === 'no-op' && !a.blocked && a.desired?.remote?.node !== undefined && a.desired.type !== 'local';
  const work = plan.actions.filter((a) => a.kind !== 'no-op' || a.blocked || accepted(a));
  await mapLimit(work, options.parallelism, async (a) => {
    if (a.blocked) {
      failed.push({
        node: a.node,
        connection: a.name,
        kind: a.kind,
        message: `blocked: ${a.blocked}`,
        code: 'BLOCKED',
      });
      options.onEvent?.({ action: a, phase: 'failed', message: `blocked: ${a.blocked}` });
      return;
    }
    const visible = a.kind !== 'pending' && a.kind !== 'no-op';
    if (visible) options.onEvent?.({ action: a, phase: 'start', message: `${a.kind}…` });
    try {
      const message = await run(step, a, options, (m) =>
        warnings.push({ node: a.node, connection: a.name, message: m }),
      );
      if (visible) applied++;
      if (a.kind === 'delete' || a.kind === 'replace') removedOutputs.push(outputKey(a.node, a.name));
      if (visible) options.onEvent?.({ action: a, phase: 'done', message });
    } catch (error) {
      const message = messageOf(error);
      const code = codeOf(error);
      failed.push({ node: a.node, connection: a.name, kind: a.kind, message, ...(code ? { code } : {}) });
      options.onEvent?.({ action: a, phase: 'failed', message });
    }
  });
  // A replaced connection gets a new code: keep it rather than forgetting it.
  const written = new Set(invitations.map((i) => outputKey(i.node, i.connection)));
  invitations.sort((a, b) => outputKey(a.node, a.connection).localeCompare(outputKey(b.node, b.connection)));
  return {
    applied,
    failed,
    warnings,
    invitations,
    removedOutputs: removedOutputs.filter((k) => !written.has(k)),
  };
}
