/**
 * The declared form of a live connection, for adopting it: `import` writes it as YAML, the
 * Terraform provider's import as state. One function, so both doors adopt the same way.
 */
import { connectionTypeOf, modeOf, type Connection } from '../api/contract';
import type { FieldKey } from '../model/fields';
import { normalizeTriggers } from '../model/normalize';
import { readOwnership } from '../model/ownership';
import { INVITATION_CODE, partnerReason } from '../model/platforms';

export interface AdoptContext {
  /** The node the connection is on. */
  node: string;
  /** The owner adopting it: another owner's connection is skipped. */
  owner: string;
  /** The declared node (other than `node`) whose URL this is, if any. */
  declaredByUrl(url: string | undefined): string | undefined;
  /** The declared node holding this connection's accepting side, and its incoming scope. */
  counterpart(c: Connection): { node: string; scope?: string } | undefined;
}

/** Field values (registry keys; rules as script text, triggers normalised), or why it is skipped. */
export type Adopted = { values: Partial<Record<FieldKey, unknown>> } | { skip: string };

export function adoptedValues(c: Connection, ctx: AdoptContext): Adopted {
  if (c.role !== 'INITIATOR') {
    return {
      skip:
        c.role === 'ACCEPTOR'
          ? 'the accepting side of a connection initiated elsewhere: import it from its initiating node'
          : 'the node does not say which side of the connection it is',
    };
  }
  const mode = modeOf(c.configurationType);
  const type = connectionTypeOf(c.communication.type);
  if (
    c.description === undefined ||
    mode === undefined ||
    type === undefined ||
    c.localShortName === undefined ||
    c.remoteShortName === undefined
  ) {
    return {
      skip: 'the node does not report its mode, type, short names or description: nothing reliable to write',
    };
  }
  const { text, ownership } = readOwnership(c.description);
  if (ownership && ownership.owner !== ctx.owner) {
    return {
      skip: `managed by owner '${ownership.owner}' (the file with that owner); import with --owner ${ownership.owner} to take it over`,
    };
  }
  const values: Partial<Record<FieldKey, unknown>> = {
    name: c.name,
    node: ctx.node,
    localShortName: c.localShortName,
    remoteShortName: c.remoteShortName,
    mode,
    private: type === 'private',
    description: text,
    enabled: c.status !== 'DEACTIVATED',
    protect: ownership?.protect ?? false,
  };
  if (type === 'local') values['remote.node'] = ctx.node;
  else if (type === 'public') {
    // Visual has no invitation code: the tool accepts it itself on a declared node, pending or not.
    const codeless = !INVITATION_CODE[mode];
    const declared =
      c.status === 'PENDING' && !codeless ? undefined : ctx.declaredByUrl(c.communication.remoteUrl);
    const peer = declared ? ctx.counterpart(c) : undefined;
    if (declared && (peer?.node === declared || codeless)) {
      values['remote.node'] = declared;
      if (peer?.node === declared && peer.scope !== undefined) values.incomingScope = peer.scope;
    } else {
      values['remote.url'] = c.communication.remoteUrl ?? '';
    }
  } else if (c.status !== 'PENDING') {
    const peer = ctx.counterpart(c);
    if (peer) {
      values['remote.node'] = peer.node;
      if (peer.scope !== undefined) values.incomingScope = peer.scope;
    }
  }
  // A file could not declare it (validate's rule): say why rather than adopt what fails to plan.
  const partner = partnerReason(mode, type, values['remote.node'] !== undefined);
  if (partner) return { skip: `${partner}; declare the node it connects to, then import again` };
  if (c.configurationType === 'SCRIPT' && c.rules) {
    values['rules.outgoing'] = c.rules.outgoing;
    values['rules.incoming'] = c.rules.incoming;
  }
  values.triggers = normalizeTriggers(c.triggers ?? []);
  return { values };
}
