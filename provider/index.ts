/**
 * The library entry of the package (`import … from 'exalate-iac'`): the CLI run in-process, and
 * the engine every door is built on — load a connections file, plan against the nodes, apply —
 * with its values and coded errors. The CDKTF constructs are `exalate-iac/cdktf`.
 */

// The CLI: `main(['plan', '--format', 'json'], io)` runs a command and resolves to its exit status.
export { main } from './cli/main';
export { processIo, type Io } from './cli/io';
export type { Deps } from './cli/context';

// Loading a connections file (offline).
export { DEFAULT_CONFIG_FILE, loadConfig, type LoadOptions, type LoadResult } from './config/load';
export { formatFinding } from './config/findings';
export type { DesiredConnection, DesiredNode, DesiredState } from './model/connection';

// A workspace (the file and a client per node), the plan and its application.
export { openWorkspace, planWorkspace, type EngineContext, type Workspace } from './engine/session';
export { clientFactory, type ClientSettings } from './engine/clients';
export type { ClientFactory, Env, ResolvedNode } from './engine/nodes';
export { readLive, type LiveNode, type LiveState, type ReadOptions } from './engine/live';
export {
  computePlan,
  type ActionKind,
  type FieldChange,
  type Plan,
  type PlanInput,
  type PlannedAction,
  type PlanOptions,
} from './engine/plan';
export { hasChanges, hasDrift, summarize, type PlanSummary } from './engine/summary';
export { planToJson, type PlanJson } from './engine/saved-plan';
export {
  applyPlan,
  type ApplyEvent,
  type ApplyFailure,
  type ApplyOptions,
  type ApplyResult,
} from './engine/apply';
export { readOutputs, type InvitationOutput, type OutputsFile } from './engine/outputs';
export type { Connection, NodeApi } from './api/types';

// Values shared by every layer.
export { IacError, type ErrorCode, type Finding } from './model/errors';
export { CONNECTION_FIELDS, type FieldDef, type FieldKey } from './model/fields';
export { UNKNOWN, isUnknown, type Unknown } from './model/unknown';

// The node emulator (the same API contract), for a team's own tests and dry runs.
export { startEmulator, type Emulator, type EmulatorOptions } from '../emulator/server';
