/**
 * The one diff: what differs between a declared connection and a live one, field by field, in
 * the terms of the field registry (`model/fields.ts`). Plan, apply's convergence and the
 * Terraform provider's PlanResourceChange all call it. A field the node does not report is
 * `UNKNOWN`: listed, never a change.
 */
import { modeOf, type Connection } from '../api/contract';
import type { DesiredConnection } from '../model/connection';
import { COMPARED_FIELDS, type FieldDef, type FieldKey } from '../model/fields';
import { normalizeScript, normalizeText, normalizeTriggers, normalizeUrl } from '../model/normalize';
import { readOwnership } from '../model/ownership';
import { UNKNOWN, type Unknown } from '../model/unknown';

type Compared = Exclude<FieldKey, 'name' | 'node'>;

/** Normalised, comparable values; `undefined` means "not compared" (not declared, or n/a). */
export type FieldValues = Partial<Record<Compared, unknown>>;

export interface FieldChange {
  field: FieldKey;
  before: unknown;
  after: unknown;
  /** True for fields that cannot change in place: the change needs a new connection. */
  forcesReplacement: boolean;
}

export interface DiffContext {
  /** This file's owner: protection is read from markers of this owner only. */
  owner: string;
  /**
   * The resolved URL the declared connection points at (public connections): `remote.url`
   * expanded, or the URL of the declared `remote.node`.
   */
  remoteUrl?: string;
  /**
   * The accepting side on `remote.node` (another declared node): the connection there, `null`
   * when there is none, `UNKNOWN` when that node could not say.
   */
  counterpart?: Connection | null | Unknown;
}

/** Suffix of a `remote.node` value whose accepting side is not right. */
export const ACCEPTING_SIDE_MISSING = ' (accepting side missing)';
export const ACCEPTING_SIDE_ORPHANED = ' (accepting side not paired with this connection)';

interface Extractor {
  desired(d: DesiredConnection, ctx: DiffContext): unknown;
  live(l: Connection, d: DesiredConnection, ctx: DiffContext): unknown;
}

const orUnknown = <T>(v: T | undefined): T | Unknown => (v === undefined ? UNKNOWN : v);

/** Whether `acceptor` is the accepting side of `initiator` (when the node says which it pairs with). */
export function isPairedWith(acceptor: Connection, initiator: Connection): boolean {
  if (acceptor.role !== undefined && acceptor.role !== 'ACCEPTOR') return false;
  if (acceptor.remoteConnectionId !== undefined) return acceptor.remoteConnectionId === initiator.id;
  return true;
}

const EXTRACT: Record<Compared, Extractor> = {
  localShortName: {
    desired: (d) => d.localShortName,
    live: (l) => orUnknown(l.localShortName),
  },
  remoteShortName: {
    desired: (d) => d.remoteShortName,
    live: (l) => orUnknown(l.remoteShortName),
  },
  mode: {
    desired: (d) => d.mode,
    live: (l) => orUnknown(modeOf(l.configurationType)),
  },
  private: {
    desired: (d) => d.private,
    live: (l) => (l.communication.type === undefined ? UNKNOWN : l.communication.type === 'PRIVATE'),
  },
  'remote.url': {
    desired: (d, ctx) =>
      d.type === 'public' && d.remote?.url !== undefined ? normalizeUrl(ctx.remoteUrl) : undefined,
    live: (l) => {
      if (l.communication.type === undefined) return UNKNOWN;
      if (l.communication.type !== 'PUBLIC') return null;
      return l.communication.remoteUrl === undefined ? UNKNOWN : normalizeUrl(l.communication.remoteUrl);
    },
  },
  'remote.node': {
    desired: (d) => d.remote?.node,
    live: (l, d, ctx) => {
      const want = d.remote?.node;
      if (want === undefined) return undefined;
      if (l.communication.type === undefined) return UNKNOWN;
      if (want === d.node) return l.communication.type === 'LOCAL' ? want : null;
      if (l.communication.type === 'LOCAL') return d.node;
      if (
        l.communication.type === 'PUBLIC' &&
        normalizeUrl(l.communication.remoteUrl) !== normalizeUrl(ctx.remoteUrl)
      )
        return l.communication.remoteUrl === undefined ? UNKNOWN : l.communication.remoteUrl;
      const side = ctx.counterpart;
      if (side === undefined || side === UNKNOWN) return UNKNOWN;
      if (l.status === 'PENDING') {
        // Waiting for acceptance is fine; an accepting side that already exists is a broken pair.
        return side === null ? want : `${want}${ACCEPTING_SIDE_ORPHANED}`;
      }
      if (side === null) return `${want}${ACCEPTING_SIDE_MISSING}`;
      return isPairedWith(side, l) ? want : `${want}${ACCEPTING_SIDE_ORPHANED}`;
    },
  },
  incomingScope: {
    desired: (d) => (d.remote?.node !== undefined && d.remote.node !== d.node ? d.incomingScope : undefined),
    live: (_l, _d, ctx) => {
      const side = ctx.counterpart;
      if (side === undefined || side === null) return undefined;
      if (side === UNKNOWN) return UNKNOWN;
      return orUnknown(side.incomingScope);
    },
  },
  description: {
    desired: (d) => normalizeText(d.description),
    live: (l) => (l.description === undefined ? UNKNOWN : normalizeText(readOwnership(l.description).text)),
  },
  enabled: {
    desired: (d) => d.enabled,
    // Only an active or deactivated connection has an "enabled" to compare: pending waits for its
    // partner, and an error status is resolved on the node (it is shown, read-only).
    live: (l) => (l.status === 'ACTIVE' ? true : l.status === 'DEACTIVATED' ? false : undefined),
  },
  protect: {
    desired: (d) => d.protect,
    live: (l, _d, ctx) => {
      if (l.description === undefined) return UNKNOWN;
      const { ownership } = readOwnership(l.description);
      return ownership?.owner === ctx.owner ? ownership.protect : false;
    },
  },
  'rules.outgoing': {
    desired: (d) => (d.rules?.outgoing === undefined ? undefined : normalizeScript(d.rules.outgoing)),
    live: (l) => (l.rules === undefined ? UNKNOWN : normalizeScript(l.rules.outgoing)),
  },
  'rules.incoming': {
    desired: (d) => (d.rules?.incoming === undefined ? undefined : normalizeScript(d.rules.incoming)),
    live: (l) => (l.rules === undefined ? UNKNOWN : normalizeScript(l.rules.incoming)),
  },
  triggers: {
    desired: (d) => normalizeTriggers(d.triggers),
    live: (l) => (l.triggers === undefined ? UNKNOWN : normalizeTriggers(l.triggers)),
  },
};

export function desiredValues(d: DesiredConnection, ctx: DiffContext): FieldValues {
  const values: FieldValues = {};
  for (const f of COMPARED_FIELDS) values[f.key as Compared] = EXTRACT[f.key as Compared].desired(d, ctx);
  return values;
}

export function liveValues(l: Connection, d: DesiredConnection, ctx: DiffContext): FieldValues {
  const values: FieldValues = {};
  for (const f of COMPARED_FIELDS) values[f.key as Compared] = EXTRACT[f.key as Compared].live(l, d, ctx);
  return values;
}

export interface Diff {
  /** Fields that must change in place. */
  updates: FieldChange[];
  /** Fields that cannot change in place. */
  replacements: FieldChange[];
  /** Declared fields the node did not report: not compared. */
  unknown: FieldKey[];
}

function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** Compare two sets of values field by field, in registry order. */
export function diffValues(
  desired: FieldValues,
  live: FieldValues,
  fields: readonly FieldDef[] = COMPARED_FIELDS,
): Diff {
  const diff: Diff = { updates: [], replacements: [], unknown: [] };
  for (const f of fields) {
    const want = desired[f.key as Compared];
    if (want === undefined) continue;
    const have = live[f.key as Compared];
    if (have === undefined) continue;
    if (have === UNKNOWN) {
      diff.unknown.push(f.key);
      continue;
    }
    if (same(want, have)) continue;
    const change = { field: f.key, before: have, after: want, forcesReplacement: f.change === 'replace' };
    (f.change === 'replace' ? diff.replacements : diff.updates).push(change);
  }
  return diff;
}

/** The diff of a declared connection against its live counterpart. */
export function diffConnection(d: DesiredConnection, l: Connection, ctx: DiffContext): Diff {
  return diffValues(desiredValues(d, ctx), liveValues(l, d, ctx));
}
