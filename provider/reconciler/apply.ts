import type { Connection, NodeApi, Rules } from '../client/types';
import type { DesiredConnection } from '../model/connection';
import { mapLimit } from './concurrency';
import {
  communicationType,
  configurationType,
  normalizeScript,
  normalizeText,
  normalizeTriggers,
  readOwnership,
  withOwnership,
} from './normalize';
import { desiredRemoteUrl, findCounterpart, Plan, PlannedAction } from './plan';
import type { ResolvedNode } from './nodes';
import { InvitationOutput, outputKey } from './outputs';

export interface ApplyEvent {
  action: PlannedAction;
  phase: 'start' | 'done' | 'failed';
  message: string;
}

export interface ApplyOptions {
  parallelism: number;
  env: NodeJS.ProcessEnv;
  onEvent?: (event: ApplyEvent) => void;
}

export interface ApplyFailure {
  node: string;
  connection: string;
  kind: PlannedAction['kind'];
  message: string;
}

export interface ApplyResult {
  applied: number;
  failed: ApplyFailure[];
  /** Invitation codes produced or re-read (pending) and acceptances done. */
  invitations: InvitationOutput[];
  /** Outputs to forget (connections deleted). */
  removedOutputs: string[];
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class Step {
  constructor(
    readonly clients: Map<string, NodeApi>,
    readonly resolved: Map<string, ResolvedNode>,
    readonly owner: string,
    readonly env: NodeJS.ProcessEnv,
    readonly invitations: InvitationOutput[],
  ) {}

  client(node: string): NodeApi {
    const c = this.clients.get(node);
    if (!c) throw new Error(`node '${node}' is not declared`);
    return c;
  }

  /** Initiate the connection; after a conflict (someone else just created it) adopt the one that exists. */
  async create(d: DesiredConnection): Promise<{ connection: Connection; code?: string }> {
    const api = this.client(d.node);
    const remoteUrl = desiredRemoteUrl(d, this.resolved, this.env);
    let result: { connection: Connection; code?: string };
    try {
      const created = await api.createConnection({
        name: d.name,
        description: withOwnership(d.description, { owner: this.owner, protect: d.protect }),
        localShortName: d.localShortName,
        remoteShortName: d.remoteShortName,
        configurationType: configurationType(d.mode),
        communication: { type: communicationType(d.type), ...(remoteUrl ? { remoteUrl } : {}) },
      });
      result = {
        connection: created.connection,
        ...(created.invitationCode ? { code: created.invitationCode } : {}),
      };
    } catch (error) {
      if (codeOf(error) !== 'EXALATE_CONFLICT') throw error;
      const existing = await api.findConnectionByName(d.name);
      if (!existing) throw error;
      result = { connection: existing };
    }
    // After a lost answer the client may hand back a connection it found by name: only adopt ours.
    const owner = readOwnership(result.connection.description).ownership?.owner;
    if (owner !== this.owner) {
      throw new Error(
        `a connection named '${d.name}' already exists on '${d.node}'${owner ? `, owned by '${owner}'` : ', not created by this tool'}`,
      );
    }
    return result;
  }

  /**
   * Bring rules, triggers, description and status of a live connection to the declared values.
   * When someone else changed it meanwhile (412), read it again and converge once more.
   */
  async converge(d: DesiredConnection, live: Connection): Promise<Connection> {
    try {
      return await this.convergeOnce(d, live);
    } catch (error) {
      if (codeOf(error) !== 'EXALATE_PRECONDITION_FAILED') throw error;
      return this.convergeOnce(d, await this.fresh(d.node, live.id));
    }
  }

  private async convergeOnce(d: DesiredConnection, live: Connection): Promise<Connection> {
    const api = this.client(d.node);
    let current = live;
    const description = withOwnership(d.description, { owner: this.owner, protect: d.protect });
    const { text, ownership } = readOwnership(current.description);
    const descriptionDiffers =
      normalizeText(text) !== normalizeText(d.description) || (ownership?.protect ?? false) !== d.protect;
    if (descriptionDiffers)
      current = await api.updateConnection(current.id, { description }, current.version);
    if (d.rules && d.mode === 'script') {
      const have: Rules = current.rules ?? (await api.getRules(current.id));
      const want: Rules = {
        outgoing: d.rules.outgoing ?? have.outgoing,
        incoming: d.rules.incoming ?? have.incoming,
      };
      if (
        normalizeScript(want.outgoing) !== normalizeScript(have.outgoing) ||
        normalizeScript(want.incoming) !== normalizeScript(have.incoming)
      ) {
        current = await api.putRules(current.id, want, current.version);
      }
    }
    const haveTriggers = current.triggers ?? (await api.getTriggers(current.id));
    const wantTriggers = normalizeTriggers(d.triggers);
    if (JSON.stringify(normalizeTriggers(haveTriggers)) !== JSON.stringify(wantTriggers)) {
      current = await api.putTriggers(current.id, wantTriggers, current.version);
    }
    if (current.status !== 'PENDING') {
      const want = d.enabled ? 'ACTIVE' : 'DEACTIVATED';
      if (current.status !== want)
        current = await api.updateConnection(current.id, { status: want }, current.version);
    }
    return current;
  }

  /** Accept the initiator's invitation on the declared remote node. */
  async accept(
    d: DesiredConnection,
    acceptOn: string,
    initiator: Connection,
    code: string | undefined,
  ): Promise<void> {
    const other = this.client(acceptOn);
    try {
      const invitationCode = code ?? (await this.client(d.node).getInvitation(initiator.id)).invitationCode;
      await other.acceptInvitation({
        invitationCode,
        ...(d.incomingScope ? { incomingScope: d.incomingScope } : {}),
      });
    } catch (error) {
      // Accepted by a concurrent run (or before a crash): fine when this one's accepting side exists.
      const code = codeOf(error);
      if (code !== 'EXALATE_CONFLICT' && code !== 'EXALATE_GONE') throw error;
      const peer = await other.findConnectionByName(d.name);
      const side = findCounterpart(
        peer ? { connections: [peer], byName: new Map([[peer.name, peer]]) } : undefined,
        d.name,
        this.resolved.get(d.node)?.url,
      );
      if (!side) throw error;
    }
    this.invitations.push({
      node: d.node,
      connection: d.name,
      status: 'accepted',
      acceptedOn: acceptOn,
      updatedAt: new Date().toISOString(),
    });
  }

  recordPending(d: DesiredConnection, code: string, createdAt: string | undefined): void {
    this.invitations.push({
      node: d.node,
      connection: d.name,
      status: 'pending',
      code,
      ...(createdAt ? { createdAt } : {}),
      updatedAt: new Date().toISOString(),
    });
  }

  /**
   * Delete the planned connection (refused with 412 if it changed since the plan), then its
   * accepting side on a declared node: never the other way round, so a refusal leaves both.
   */
  async remove(a: PlannedAction): Promise<void> {
    if (!a.live) throw new Error('the plan has no live connection for this action');
    await this.client(a.node).deleteConnection(a.live.id, a.live.version);
    if (a.counterpart) await this.client(a.counterpart.node).deleteConnection(a.counterpart.id);
  }

  async fresh(node: string, id: number): Promise<Connection> {
    return this.client(node).getConnection(id);
  }
}

async function run(step: Step, a: PlannedAction): Promise<string> {
  const d = a.desired;
  switch (a.kind) {
    case 'create':
    case 'replace': {
      if (!d) throw new Error('the plan has no declared connection for this action');
      if (a.kind === 'replace' && a.live) await step.remove(a);
      const { connection, code } = await step.create(d);
      const current = await step.converge(
        d,
        connection.rules ? connection : await step.fresh(d.node, connection.id),
      );
      if (a.acceptOn && current.status === 'PENDING') {
        await step.accept(d, a.acceptOn, current, code);
        await step.converge(d, await step.fresh(d.node, current.id));
        return `${a.kind === 'create' ? 'created' : 'replaced'} and accepted on '${a.acceptOn}'`;
      }
      if (current.status === 'PENDING') {
        const inv = code
          ? { invitationCode: code, createdAt: current.invitationCreatedAt }
          : await step.client(d.node).getInvitation(current.id);
        step.recordPending(d, inv.invitationCode, inv.createdAt);
        return `${a.kind === 'create' ? 'created' : 'replaced'}; invitation code written to the outputs`;
      }
      return a.kind === 'create' ? 'created' : 'replaced';
    }
    case 'update': {
      if (!d || !a.live) throw new Error('the plan has no declared connection for this action');
      const current = await step.converge(d, await step.fresh(a.node, a.live.id));
      const updated = `updated ${a.changes.map((c) => c.field).join(', ')}`;
      if (current.status !== 'PENDING') return updated;
      // Still waiting for its partner (e.g. created by a run that crashed): keep its code in the outputs.
      const inv = await step.client(a.node).getInvitation(current.id);
      step.recordPending(d, inv.invitationCode, inv.createdAt);
      return `${updated}; invitation code written to the outputs`;
    }
    case 'accept': {
      if (!d || !a.live || !a.acceptOn)
        throw new Error('the plan has no declared connection for this action');
      const initiator = await step.fresh(a.node, a.live.id);
      await step.converge(d, initiator);
      await step.accept(d, a.acceptOn, initiator, undefined);
      await step.converge(d, await step.fresh(a.node, a.live.id));
      return `accepted on '${a.acceptOn}'`;
    }
    case 'delete': {
      if (!a.live) throw new Error('the plan has no live connection for this action');
      await step.remove(a);
      return 'deleted';
    }
    case 'pending': {
      // Re-read the code so the outputs hold it even when an earlier run's outputs file is gone.
      if (!d || !a.live) return 'waiting';
      const inv = await step.client(a.node).getInvitation(a.live.id);
      step.recordPending(d, inv.invitationCode, inv.createdAt);
      return 'waiting for the partner; invitation code written to the outputs';
    }
    case 'no-op':
      return 'unchanged';
  }
}

/**
 * Apply every action of the plan with at most `parallelism` in flight. A failure is reported
 * with its connection and reason while the rest go on. Every step is idempotent: after a crash
 * the next plan and apply finish the job without creating anything twice.
 */
export async function applyPlan(
  plan: Plan,
  clients: Map<string, NodeApi>,
  resolved: Map<string, ResolvedNode>,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const invitations: InvitationOutput[] = [];
  const step = new Step(clients, resolved, plan.owner, options.env, invitations);
  const failed: ApplyFailure[] = [];
  const removedOutputs: string[] = [];
  let applied = 0;
  const work = plan.actions.filter((a) => a.kind !== 'no-op' || a.blocked);
  await mapLimit(work, options.parallelism, async (a) => {
    if (a.blocked) {
      failed.push({ node: a.node, connection: a.name, kind: a.kind, message: `blocked: ${a.blocked}` });
      options.onEvent?.({ action: a, phase: 'failed', message: `blocked: ${a.blocked}` });
      return;
    }
    if (a.kind !== 'pending') options.onEvent?.({ action: a, phase: 'start', message: `${a.kind}…` });
    try {
      const message = await run(step, a);
      if (a.kind !== 'pending') applied++;
      if (a.kind === 'delete' || a.kind === 'replace') removedOutputs.push(`${a.node}/${a.name}`);
      options.onEvent?.({ action: a, phase: 'done', message });
    } catch (error) {
      const message = messageOf(error);
      failed.push({ node: a.node, connection: a.name, kind: a.kind, message });
      options.onEvent?.({ action: a, phase: 'failed', message });
    }
  });
  // A replaced connection gets a new code: keep it rather than forgetting it.
  const replacedKeys = new Set(invitations.map((i) => `${i.node}/${i.connection}`));
  invitations.sort((a, b) => outputKey(a.node, a.connection).localeCompare(outputKey(b.node, b.connection)));
  return { applied, failed, invitations, removedOutputs: removedOutputs.filter((k) => !replacedKeys.has(k)) };
}
