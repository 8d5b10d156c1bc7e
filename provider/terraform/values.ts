/**
 * Terraform values of `exalate_connection` <-> the engine's declared connection, named by the
 * field registry. State keeps what the configuration wrote as long as the node holds the same
 * (after normalisation), so a plan right after an apply is empty; a field the node does not report
 * keeps its state value (unknown is never different).
 */
import type { Connection } from '../api/contract';
import { connectionType, type DesiredConnection } from '../model/connection';
import { CONNECTION_FIELDS, TRIGGER_FIELDS, type FieldDef, type FieldKey } from '../model/fields';
import { normalizeTriggers, type TriggerValue } from '../model/normalize';
import type { Mode } from '../model/platforms';
import { diffValues, desiredValues, liveValues, type DiffContext } from '../engine/diff';
import type { LiveConnection } from '../engine/resource';
import { isUnknown, type CtyValue } from './plugin';

/** A decoded `exalate_connection` object (attribute name -> value). */
export type TfObject = { [attr: string]: CtyValue };

const LOCATION = { file: 'terraform', line: 0, col: 0 };

function str(v: CtyValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function bool(v: CtyValue | undefined): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}

/** True when any attribute the engine needs is not known yet (it depends on another resource). */
export function hasUnknown(value: CtyValue): boolean {
  if (isUnknown(value)) return true;
  if (Array.isArray(value)) return value.some(hasUnknown);
  if (value !== null && typeof value === 'object' && !(typeof value === 'bigint'))
    return Object.values(value as TfObject).some(hasUnknown);
  return false;
}

function triggersOf(v: CtyValue | undefined): TriggerValue[] {
  if (!Array.isArray(v)) return [];
  return normalizeTriggers(
    v.map((t) => {
      const o = (t ?? {}) as TfObject;
      return {
        entityType: str(o.entity_type) ?? '',
        query: str(o.query) ?? '',
        active: bool(o.active) ?? true,
        notes: str(o.notes) ?? '',
      };
    }),
  );
}

/** The engine's declared connection for a resource's values (defaults of the registry applied). */
export function toDesired(o: TfObject): DesiredConnection {
  const remoteUrl = str(o.remote_url);
  const remoteNode = str(o.remote_node);
  const rules =
    o.rules && typeof o.rules === 'object' && !Array.isArray(o.rules) ? (o.rules as TfObject) : undefined;
  const base = {
    name: str(o.name) ?? '',
    node: str(o.node) ?? '',
    localShortName: str(o.local_short_name) ?? '',
    remoteShortName: str(o.remote_short_name) ?? '',
    mode: (str(o.mode) ?? 'script') as Mode,
    private: bool(o.private) ?? false,
    description: str(o.description) ?? '',
    enabled: bool(o.enabled) ?? true,
    protect: bool(o.protect) ?? false,
    ...(remoteUrl !== undefined || remoteNode !== undefined
      ? {
          remote: {
            ...(remoteUrl !== undefined ? { url: remoteUrl } : {}),
            ...(remoteNode !== undefined ? { node: remoteNode } : {}),
          },
        }
      : {}),
    ...(str(o.incoming_scope) !== undefined ? { incomingScope: str(o.incoming_scope) } : {}),
  };
  const d: DesiredConnection = {
    ...base,
    type: connectionType(base),
    triggers: triggersOf(o.triggers),
    location: LOCATION,
  };
  if (rules) {
    d.rules = {};
    if (str(rules.outgoing) !== undefined) d.rules.outgoing = str(rules.outgoing);
    if (str(rules.incoming) !== undefined) d.rules.incoming = str(rules.incoming);
  }
  return d;
}

/** The YAML-shaped object of a resource, for the same checks `validate` runs. */
export function toFileConnection(o: TfObject): Record<string, unknown> {
  const d = toDesired(o);
  const out: Record<string, unknown> = {
    name: d.name,
    node: d.node,
    localShortName: d.localShortName,
    remoteShortName: d.remoteShortName,
    mode: d.mode,
    private: d.private,
    description: d.description,
    enabled: d.enabled,
    protect: d.protect,
    triggers: d.triggers,
  };
  if (d.remote) out.remote = d.remote;
  if (d.incomingScope !== undefined) out.incomingScope = d.incomingScope;
  if (d.rules && Object.keys(d.rules).length > 0) out.rules = d.rules;
  return out;
}

/** The Terraform attribute path of a registry field (rules.outgoing is the block `rules`). */
export function tfPath(key: FieldKey | string): string[] {
  const f = CONNECTION_FIELDS.find((x) => x.key === key);
  return f ? f.tf.split('.') : [key];
}

/** A registry value (normalised, as the diff has it) as a Terraform value. */
function tfValue(f: FieldDef, value: unknown): CtyValue {
  if (value === undefined || value === null) return null;
  if (f.key === 'triggers') {
    return (value as TriggerValue[]).map((t) =>
      Object.fromEntries(TRIGGER_FIELDS.map((tf) => [tf.tf, t[tf.key as keyof TriggerValue] as CtyValue])),
    );
  }
  return value as CtyValue;
}

function setField(o: TfObject, f: FieldDef, value: unknown): void {
  const [head, tail] = f.tf.split('.') as [string, string | undefined];
  if (tail === undefined) {
    o[head] = tfValue(f, value);
    return;
  }
  const block = (o[head] && typeof o[head] === 'object' ? { ...(o[head] as TfObject) } : {}) as TfObject;
  block[tail] = tfValue(f, value);
  o[head] = block;
}

/** Every attribute of the resource, null unless set: Terraform wants them all. */
export function emptyObject(): TfObject {
  const o: TfObject = {};
  for (const f of CONNECTION_FIELDS) {
    const [head] = f.tf.split('.') as [string];
    o[head] = f.key === 'triggers' ? [] : null;
  }
  for (const name of [
    'id',
    'connection_id',
    'status',
    'invitation_code',
    'accepting_connection_id',
    'accepting_status',
  ])
    o[name] = null;
  return o;
}

/**
 * Config values with the registry's defaults filled in (what the plan says will be). Rules left
 * out (the block, or one direction) are not managed: they keep what the state holds.
 */
export function withDefaults(config: TfObject, prior: TfObject | null = null): TfObject {
  const o: TfObject = { ...config };
  const priorRules =
    prior && prior.rules && typeof prior.rules === 'object' ? (prior.rules as TfObject) : null;
  if (o.rules === null || o.rules === undefined) o.rules = priorRules;
  else if (typeof o.rules === 'object' && !Array.isArray(o.rules)) {
    const rules = { ...(o.rules as TfObject) };
    for (const direction of ['outgoing', 'incoming'])
      if (rules[direction] === null || rules[direction] === undefined)
        rules[direction] = priorRules?.[direction] ?? null;
    o.rules = rules;
  }
  for (const f of CONNECTION_FIELDS) {
    if (f.default === undefined || f.tf.includes('.')) continue;
    if (o[f.tf] === null || o[f.tf] === undefined) o[f.tf] = tfValue(f, f.default);
  }
  if (Array.isArray(o.triggers)) {
    o.triggers = o.triggers.map((t) => {
      const trigger = { ...((t ?? {}) as TfObject) };
      for (const tf of TRIGGER_FIELDS)
        if ('default' in tf && (trigger[tf.tf] === null || trigger[tf.tf] === undefined))
          trigger[tf.tf] = tf.default;
      return trigger;
    });
  }
  return o;
}

/** The computed attributes from what the node holds. */
function computed(o: TfObject, node: string, live: LiveConnection): void {
  const c = live.connection;
  o.id = `${node}/${c.name}`;
  o.connection_id = String(c.id);
  o.status = c.status;
  o.invitation_code = live.invitation?.invitationCode ?? null;
  const side = live.counterpart;
  const sideKnown = side !== undefined && side !== null && !isUnknown(side);
  o.accepting_connection_id = sideKnown ? String((side as Connection).id) : null;
  o.accepting_status = sideKnown ? (side as Connection).status : null;
}

/**
 * The state after reading the node: the prior state where the node holds the same (or does not
 * say), the node's value where it differs — which the next plan shows as a change.
 */
export function refreshedState(prior: TfObject, live: LiveConnection, ctx: DiffContext): TfObject {
  const d = toDesired(prior);
  const withSide: DiffContext = {
    ...ctx,
    ...(live.counterpart !== undefined ? { counterpart: live.counterpart } : {}),
  };
  const diff = diffValues(desiredValues(d, withSide), liveValues(live.connection, d, withSide));
  const o: TfObject = { ...emptyObject(), ...prior };
  for (const change of [...diff.replacements, ...diff.updates]) {
    const f = CONNECTION_FIELDS.find((x) => x.key === change.field) as FieldDef;
    setField(o, f, change.before);
  }
  // A rename by hand: the id is the same connection, its name is not.
  o.name = live.connection.name;
  computed(o, d.node, live);
  return o;
}

/** The state of an adopted connection (import, data sources): every field from the node. */
export function adoptedState(
  node: string,
  values: Partial<Record<FieldKey, unknown>>,
  live: LiveConnection,
): TfObject {
  const o = emptyObject();
  for (const f of CONNECTION_FIELDS) {
    const v = values[f.key];
    if (v !== undefined) setField(o, f, v);
  }
  o.node = node;
  computed(o, node, live);
  return o;
}
