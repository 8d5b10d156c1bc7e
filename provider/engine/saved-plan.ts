/**
 * The plan as JSON: what `plan --format json` prints and what `plan --out` saves (one shape,
 * snake_case, `format_version`; `schemas/plan.schema.json`). A saved plan is an artifact that
 * travels between CI jobs: it holds no secret, and nothing in it is trusted. `apply PLAN`
 * recomputes the plan from the configuration and the live nodes and applies only when the
 * configuration is the one the plan was made from, the nodes did not change, and the recomputed
 * actions equal the saved ones.
 */
import { errors } from '../model/errors';
import { hasChanges, hasDrift, summarize, type PlanSummary } from './summary';
import type { Plan, PlannedAction } from './plan';

export const PLAN_FORMAT_VERSION = '1';

export interface PlanJsonChange {
  field: string;
  before: unknown;
  after: unknown;
  forces_replacement: boolean;
}

export interface PlanJsonAction {
  node: string;
  connection: string;
  action: PlannedAction['kind'];
  reason: string;
  drift: boolean;
  blocked?: string;
  accept_on?: string;
  live?: { id: number; status: string; invitation_created_at: string | null; error_message?: string };
  changes: PlanJsonChange[];
  unknown_fields?: string[];
}

export interface PlanJson {
  format_version: string;
  created_at: string;
  owner: string;
  config_file: string;
  /** sha256 of the configuration and its rule files. */
  config_digest: string;
  options: { prune: boolean; allow_replace: boolean };
  summary: PlanSummary;
  changes: boolean;
  drift: boolean;
  actions: PlanJsonAction[];
  unmanaged: Record<string, string[]>;
  /** Per node, declared fields the node does not report: not compared. */
  unknown_fields: Record<string, string[]>;
  /** Per node, a digest of what was read there. */
  fingerprints: Record<string, string>;
}

export function planToJson(plan: Plan, configDigest: string): PlanJson {
  return {
    format_version: PLAN_FORMAT_VERSION,
    created_at: plan.createdAt,
    owner: plan.owner,
    config_file: plan.configFile,
    config_digest: configDigest,
    options: { prune: plan.options.prune, allow_replace: plan.options.allowReplace },
    summary: summarize(plan),
    changes: hasChanges(plan),
    drift: hasDrift(plan),
    actions: plan.actions.map((a) => ({
      node: a.node,
      connection: a.name,
      action: a.kind,
      reason: a.reason,
      drift: a.drift,
      ...(a.blocked ? { blocked: a.blocked } : {}),
      ...(a.acceptOn ? { accept_on: a.acceptOn } : {}),
      ...(a.live
        ? {
            live: {
              id: a.live.id,
              status: a.live.status,
              invitation_created_at: a.live.invitationCreatedAt ?? null,
              ...(a.live.errorMessage ? { error_message: a.live.errorMessage } : {}),
            },
          }
        : {}),
      changes: a.changes.map((c) => ({
        field: c.field,
        before: c.before,
        after: c.after,
        forces_replacement: c.forcesReplacement,
      })),
      ...(a.unknown ? { unknown_fields: a.unknown } : {}),
    })),
    unmanaged: plan.unmanaged,
    unknown_fields: plan.unknown,
    fingerprints: plan.fingerprints,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A saved plan read back, checked for shape only (its content is compared, never trusted). */
export function parseSavedPlan(text: string, file: string): PlanJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw errors.planFileInvalid(file, 'not JSON');
  }
  const ok =
    isRecord(value) &&
    value.format_version === PLAN_FORMAT_VERSION &&
    typeof value.config_digest === 'string' &&
    isRecord(value.options) &&
    typeof value.options.prune === 'boolean' &&
    typeof value.options.allow_replace === 'boolean' &&
    isRecord(value.fingerprints) &&
    Array.isArray(value.actions) &&
    value.actions.every(
      (a) =>
        isRecord(a) &&
        typeof a.node === 'string' &&
        typeof a.connection === 'string' &&
        typeof a.action === 'string' &&
        Array.isArray(a.changes),
    );
  if (!ok)
    throw errors.planFileInvalid(file, `not an exalate-iac plan (format_version ${PLAN_FORMAT_VERSION})`);
  return value as unknown as PlanJson;
}

/** What an action does, for comparing a saved plan with a recomputed one. */
function actionKey(a: PlanJsonAction): string {
  return JSON.stringify([
    a.node,
    a.connection,
    a.action,
    a.blocked ?? null,
    a.accept_on ?? null,
    a.changes.map((c) => [c.field, c.after, c.forces_replacement]),
  ]);
}

/**
 * Refuse (PLAN_STALE) unless the recomputed plan is the saved one: same configuration digest,
 * same options (given again to apply: consent is never read from a file), same nodes read, same
 * actions. The message names the first differences.
 */
export function checkSavedPlan(saved: PlanJson, current: PlanJson, file: string): void {
  if (saved.config_digest !== current.config_digest)
    throw errors.planStale(
      file,
      'it was made from another configuration (the file or its rule files differ)',
    );
  for (const [option, flag] of [
    ['prune', '--prune'],
    ['allow_replace', '--allow-replace'],
  ] as const) {
    if (saved.options[option] !== current.options[option])
      throw errors.planStale(
        file,
        `it was made ${saved.options[option] ? 'with' : 'without'} ${flag}, and is applied ${current.options[option] ? 'with' : 'without'} it: give apply the options given to plan`,
      );
  }
  const changedNodes = Object.keys(current.fingerprints).filter(
    (n) => !Object.hasOwn(saved.fingerprints, n) || saved.fingerprints[n] !== current.fingerprints[n],
  );
  if (changedNodes.length > 0)
    throw errors.planStale(file, `the nodes changed since it was made (${changedNodes.join(', ')})`);
  const savedKeys = new Map(saved.actions.map((a) => [actionKey(a), a]));
  const currentKeys = new Map(current.actions.map((a) => [actionKey(a), a]));
  const differences: string[] = [];
  for (const [key, a] of currentKeys)
    if (!savedKeys.has(key))
      differences.push(
        `${a.node}/${a.connection} (${a.action}) is not in the saved plan as it would be applied`,
      );
  for (const [key, a] of savedKeys)
    if (!currentKeys.has(key))
      differences.push(
        `${a.node}/${a.connection} (${a.action}) in the saved plan is not what applying it would do`,
      );
  if (differences.length > 0)
    throw errors.planStale(
      file,
      `its actions differ from the plan computed now: ${differences.slice(0, 5).join('; ')}${differences.length > 5 ? `; and ${differences.length - 5} more` : ''}`,
    );
}
