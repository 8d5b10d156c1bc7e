/**
 * Platforms, configuration modes and what each platform offers.
 *
 * Every row cites the documentation pages it comes from (docs.exalate.com). Where the documentation is silent the row says
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

const DOCS = 'https://docs.exalate.com/docs/';
/** "Local connection is not supported on Azure DevOps and GitHub." */
const CONNECTION_TYPES = `${DOCS}connection-types`;
/** Basic, Visual, Script; Visual "only available for Jira (Cloud and On-Premise), Azure DevOps and Zendesk", "not available for Private Connections". */
const GETTING_STARTED_3 = `${DOCS}getting-started-step-3`;
/** "If you don't have the link to the destination instance, toggle I don't have a URL. In this case, you are only able to set up a Connection in Basic or Script mode." */
const GETTING_STARTED_4 = `${DOCS}getting-started-step-4`;
/** The new console (Freshservice): with "I don't have a URL" the choice is AI Assist or Script. */
const SEED = `${DOCS}initiate-a-private-connection-in-script-mode-for-freshservice`;
/** "Verify admin access", initiate, then accept in a pop-up on the other side: no invitation code. */
const VISUAL_AZURE_DEVOPS = `${DOCS}set-up-a-connection-in-visual-mode-for-azuredevops`;
const CLASSIC = ['basic', 'visual', 'script'] as const;
const CLASSIC_NO_VISUAL = ['basic', 'script'] as const;
const NEW_CONSOLE = ['basic', 'ai-assist', 'script'] as const;

/**
 * Modes a private connection ("I don't have a URL") may use: Basic or Script (GETTING_STARTED_4),
 * and AI Assist where the new console offers it (SEED). Visual never: it has no invitation code
 * (verify admin access on both sides, initiate, accept in a pop-up on the other side).
 */
const WITHOUT_URL: readonly Mode[] = ['basic', 'script', 'ai-assist'];

export const CAPABILITIES: Readonly<Record<Platform, PlatformCapabilities>> = {
  'jira-cloud': {
    modes: CLASSIC,
    local: true,
    basis: 'documented',
    sources: [
      GETTING_STARTED_3,
      GETTING_STARTED_4,
      `${DOCS}set-up-a-connection-in-basic-mode-for-jira-cloud`,
      `${DOCS}initiate-a-private-connection-in-basic-mode`,
      `${DOCS}initiate-a-private-connection-in-script-mode`,
    ],
  },
  'jira-server': {
    modes: CLASSIC,
    local: true,
    basis: 'documented',
    sources: [
      GETTING_STARTED_3,
      GETTING_STARTED_4,
      `${DOCS}set-up-a-connection-in-visual-mode-1711`,
      `${DOCS}initiate-a-connection-in-script-mode-1043-2823`,
      `${DOCS}jira-on-premise-a352b65-initiate-a-private-connection-in-script-mode`,
    ],
  },
  'azure-devops': {
    modes: CLASSIC,
    local: false,
    basis: 'documented',
    sources: [
      GETTING_STARTED_3,
      CONNECTION_TYPES,
      VISUAL_AZURE_DEVOPS,
      `${DOCS}initiate-a-connection-in-script-mode-for-azuredevops`,
    ],
  },
  // Assumed like Azure DevOps: the docs name "Azure DevOps" without telling Server apart.
  'azure-devops-server': {
    modes: CLASSIC,
    local: false,
    basis: 'assumed',
    sources: [GETTING_STARTED_3, CONNECTION_TYPES],
  },
  zendesk: {
    modes: CLASSIC,
    local: true,
    basis: 'documented',
    sources: [GETTING_STARTED_3, `${DOCS}initiate-a-connection-in-script-mode-for-zendesk`],
  },
  servicenow: {
    modes: CLASSIC_NO_VISUAL,
    local: true,
    basis: 'documented',
    sources: [
      GETTING_STARTED_3,
      `${DOCS}set-up-a-connection-in-basic-mode-7062`,
      `${DOCS}initiate-a-connection-in-script-mode-for-servicenow`,
    ],
  },
  github: {
    modes: CLASSIC_NO_VISUAL,
    local: false,
    basis: 'documented',
    sources: [GETTING_STARTED_3, CONNECTION_TYPES, `${DOCS}set-up-a-connection-in-basic-mode-for-github`],
  },
  // Basic (public and private), Script, and local ("enter the URL of your own instance").
  salesforce: {
    modes: CLASSIC_NO_VISUAL,
    local: true,
    basis: 'documented',
    sources: [
      GETTING_STARTED_3,
      `${DOCS}set-up-a-connection-in-basic-mode-5319-8669`,
      `${DOCS}initiate-a-private-connection-7751`,
      `${DOCS}initiate-a-connection-in-script-mode-for-salesforce`,
    ],
  },
  // Private Basic and private Script pages; the new console shows the choice as AI Assist or Script.
  freshservice: {
    modes: NEW_CONSOLE,
    local: true,
    basis: 'assumed',
    sources: [`${DOCS}freshservice`, `${DOCS}pdfexport/id/6852e403b5a3be0c0e09dc65`, SEED],
  },
  freshdesk: {
    modes: NEW_CONSOLE,
    local: true,
    basis: 'assumed',
    sources: [
      `${DOCS}configuring-a-connection-28b3e94`,
      `${DOCS}pdfexport/id/67bf5b85e49ec3ea4e0ff264`,
      SEED,
    ],
  },
  asana: {
    modes: NEW_CONSOLE,
    local: true,
    basis: 'assumed',
    sources: [`${DOCS}initiate-a-private-connection-in-basic-mode-for-asana`, SEED],
  },
};

/**
 * Modes the other side accepts with an invitation code. Visual has none: an admin of both sides
 * initiates it, and it is accepted on the other side without a code ("verify admin access,
 * initiate, accept in a pop-up on the other side", VISUAL_AZURE_DEVOPS). The one table behind the
 * emulator (no code for Visual), the client and the engine (accept without a code), and
 * `validate` (`partnerReason`).
 */
export const INVITATION_CODE: Readonly<Record<Mode, boolean>> = {
  basic: true,
  visual: false,
  script: true,
  'ai-assist': true,
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
  if (type === 'private' && !WITHOUT_URL.includes(mode)) {
    return `mode '${mode}' is not available for private connections ("I don't have a URL" offers basic or script)`;
  }
  if (type === 'local' && !caps.local) {
    return `local connections are not supported on ${platform}`;
  }
  return undefined;
}

/**
 * Why a public connection of this mode cannot be made with the partner as declared, or undefined
 * when it can. A mode without an invitation code (Visual) is accepted on the other side by the
 * tool itself, which needs admin access there: the partner must be a declared node
 * (`remote.node`), not a URL there is no code to hand to. Private ones are refused by
 * `unavailableReason`; local ones (both ends on one node) have nothing to accept.
 */
export function partnerReason(
  mode: Mode,
  type: ConnectionType,
  declaredPartner: boolean,
): string | undefined {
  if (INVITATION_CODE[mode] || type !== 'public' || declaredPartner) return undefined;
  return `mode '${mode}' has no invitation code to hand to a partner: the tool accepts it on the other side itself, with admin access there, so 'remote.node' must name the other declared node (use basic or script for a partner reached by 'remote.url')`;
}

export function isPlatform(value: unknown): value is Platform {
  return typeof value === 'string' && (PLATFORMS as readonly string[]).includes(value);
}

export function isMode(value: unknown): value is Mode {
  return typeof value === 'string' && (MODES as readonly string[]).includes(value);
}
