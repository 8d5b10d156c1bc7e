import type { Plan } from './plan';

export interface PlanSummary {
  add: number;
  change: number;
  destroy: number;
  pending: number;
  blocked: number;
  unchanged: number;
}

export function summarize(plan: Plan): PlanSummary {
  const s: PlanSummary = { add: 0, change: 0, destroy: 0, pending: 0, blocked: 0, unchanged: 0 };
  for (const a of plan.actions) {
    if (a.blocked) s.blocked++;
    switch (a.kind) {
      case 'create':
        s.add++;
        break;
      case 'replace':
        s.add++;
        s.destroy++;
        break;
      case 'update':
      case 'accept':
        s.change++;
        break;
      case 'delete':
        s.destroy++;
        break;
      case 'pending':
        s.pending++;
        break;
      case 'no-op':
        s.unchanged++;
        break;
    }
  }
  return s;
}

/** True when applying the plan would change something (or fail on a blocked action). */
export function hasChanges(plan: Plan): boolean {
  return plan.actions.some((a) => (a.kind !== 'no-op' && a.kind !== 'pending') || a.blocked);
}

/**
 * True when the live state differs from the file: an existing connection changed, deleted on its
 * other side, owned elsewhere, or left behind. A declared connection not yet created is not drift
 * (the `drift` command reports it as missing); waiting for a partner is not drift.
 */
export function hasDrift(plan: Plan): boolean {
  return plan.actions.some((a) => a.drift);
}
