/**
 * Platforms, configuration modes and what each platform offers.
 *
 * Every row cites the documentation it comes from. Where the documentation is silent the row says
 * so (`basis: 'assumed'`) and the choice is the permissive one, so that the tool never refuses
 * something a node might accept; the node itself has the last word (it answers 400).
 */

export const PLATFORMS = [
  'jira-cloud',
  'jira-server',
  'servicenow',
  'zendesk',
  'freshservice',
  'freshdesk',
  'azure-devops',
  'azure-devops-server',
  'github',
  'salesforce',
  'asana',
] as const;
export type Platform = (typeof PLATFORMS)[number];

export const MODES = ['basic', 'visual', 'script', 'ai-assist'] as const;
export type Mode = (typeof MODES)[number];

export interface PlatformCapabilities {
  /** Configuration modes a connection initiated from this platform may use. */
  readonly modes: readonly Mode[];
  /** Whether a local connection (both ends on this node) is possible. */
  readonly local: boolean;
  /** 'documented' when every field is backed by the sources, 'assumed' when some are inferred. */
  readonly basis: 'documented' | 'assumed';
  readonly sources: readonly string[];
}

const CONNECTION_TYPES = 'https://docs.exalate.com/docs/connection-types';
const MODES_DOC = 'https://docs.exalate.com/docs/configuration-modes';
const SEED = 'https://docs.exalate.com/docs/initiate-a-private-connection-in-script-mode-for-freshservice';
const CLASSIC = ['basic', 'visual', 'script'] as const;
const CLASSIC_NO_VISUAL = ['basic', 'script'] as const;
const NEW_CONSOLE = ['ai-assist', 'script'] as const;

export const CAPABILITIES: Readonly<Record<Platform, PlatformCapabilities>> = {
  'jira-cloud': { modes: CLASSIC, local: true, basis: 'documented', sources: [MODES_DOC, CONNECTION_TYPES] },
  'jira-server': { modes: CLASSIC, local: true, basis: 'documented', sources: [MODES_DOC, CONNECTION_TYPES] },
  'azure-devops': {
    modes: CLASSIC,
    local: false,
    basis: 'documented',
    sources: [MODES_DOC, CONNECTION_TYPES],
  },
  'azure-devops-server': {
    modes: CLASSIC,
    local: false,
    basis: 'assumed',
    sources: [MODES_DOC, CONNECTION_TYPES],
  },
  zendesk: { modes: CLASSIC, local: true, basis: 'documented', sources: [MODES_DOC, CONNECTION_TYPES] },
  servicenow: {
    modes: CLASSIC_NO_VISUAL,
    local: true,
    basis: 'documented',
    sources: [MODES_DOC, CONNECTION_TYPES],
  },
  github: {
    modes: CLASSIC_NO_VISUAL,
    local: false,
    basis: 'documented',
    sources: [MODES_DOC, CONNECTION_TYPES],
  },
  salesforce: { modes: CLASSIC_NO_VISUAL, local: true, basis: 'assumed', sources: [MODES_DOC] },
  freshservice: { modes: NEW_CONSOLE, local: true, basis: 'documented', sources: [SEED] },
  freshdesk: { modes: NEW_CONSOLE, local: true, basis: 'assumed', sources: [SEED] },
  asana: { modes: NEW_CONSOLE, local: true, basis: 'assumed', sources: [SEED] },
};

/** Modes whose Groovy sync rules can be edited (and so declared in `rules`). */
export const RULES_EDITABLE: Readonly<Record<Mode, boolean>> = {
  basic: false,
  visual: false,
  script: true,
  'ai-assist': false,
};

export type ConnectionType = 'public' | 'private' | 'local';

/**
 * Why a connection of this mode and type cannot be initiated from this platform, or undefined
 * when it can. The same function backs `validate`, the reconciler and the emulator's 400s.
 */
export function unavailableReason(platform: Platform, mode: Mode, type: ConnectionType): string | undefined {
  const caps = CAPABILITIES[platform];
  if (!caps.modes.includes(mode)) {
    return `mode '${mode}' is not offered on ${platform} (available: ${caps.modes.join(', ')})`;
  }
  if (mode === 'visual' && type === 'private') {
    return `mode 'visual' is not available for private connections`;
  }
  if (type === 'local' && !caps.local) {
    return `local connections are not supported on ${platform}`;
  }
  return undefined;
}

export function isPlatform(value: unknown): value is Platform {
  return typeof value === 'string' && (PLATFORMS as readonly string[]).includes(value);
}

export function isMode(value: unknown): value is Mode {
  return typeof value === 'string' && (MODES as readonly string[]).includes(value);
}
