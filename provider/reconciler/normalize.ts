import type { Connection, Trigger } from '../client/types';
import type { DesiredTrigger } from '../model/connection';
import type { Mode } from '../model/platforms';
import type { ConfigurationType, CommunicationType } from '../client/types';
import type { ConnectionType } from '../model/platforms';

/**
 * Ownership and protection are recorded on the connection itself, in the last line of its
 * description, so they survive a lost CI workspace and a connection removed from the file:
 *
 *     Escalated tickets to the partner's Jira
 *
 *     [exalate-iac owner=platform-team protect=true]
 *
 * The marker is written whenever the tool writes a description; everything compares the
 * description without it.
 */
const MARKER = /(?:\n\n)?\[exalate-iac owner=([a-z0-9][a-z0-9._-]{0,62})(?: protect=(true|false))?\]\s*$/;

export interface Ownership {
  owner: string;
  protect: boolean;
}

export function readOwnership(description: string): { text: string; ownership?: Ownership } {
  const match = MARKER.exec(description);
  if (!match) return { text: description };
  return {
    text: description.slice(0, match.index),
    ownership: { owner: match[1] as string, protect: match[2] === 'true' },
  };
}

export function withOwnership(text: string, ownership: Ownership): string {
  const marker = `[exalate-iac owner=${ownership.owner}${ownership.protect ? ' protect=true' : ''}]`;
  const body = normalizeText(text);
  return body === '' ? marker : `${body}\n\n${marker}`;
}

/** Line endings to LF, trailing white space of the whole text removed. */
export function normalizeText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/\s+$/, '');
}

/**
 * Scripts compare equal when they differ only in line endings, trailing spaces on a line, or
 * blank lines at the start or end.
 */
export function normalizeScript(text: string | undefined): string {
  if (text === undefined) return '';
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/^\n+/, '')
    .replace(/\n+$/, '');
}

/** Triggers as a canonical list: defaults applied, text trimmed, ordered by entity type. */
export function normalizeTriggers(triggers: ReadonlyArray<Trigger | DesiredTrigger>): DesiredTrigger[] {
  return triggers
    .map((t) => ({
      entityType: t.entityType.trim(),
      query: t.query.trim(),
      active: t.active ?? true,
      notes: (t.notes ?? '').trim(),
    }))
    .sort((a, b) =>
      a.entityType < b.entityType ? -1 : a.entityType > b.entityType ? 1 : a.query < b.query ? -1 : 1,
    );
}

const MODE_TO_TYPE: Record<Mode, ConfigurationType> = {
  basic: 'BASIC',
  visual: 'VISUAL',
  script: 'SCRIPT',
  'ai-assist': 'AI_ASSIST',
};

export function configurationType(mode: Mode): ConfigurationType {
  return MODE_TO_TYPE[mode];
}

export function modeOf(type: ConfigurationType): Mode {
  const entry = Object.entries(MODE_TO_TYPE).find(([, v]) => v === type);
  return (entry?.[0] ?? 'script') as Mode;
}

export function communicationType(type: ConnectionType): CommunicationType {
  return type === 'private' ? 'PRIVATE' : type === 'local' ? 'LOCAL' : 'PUBLIC';
}

export function connectionTypeOf(live: Connection): ConnectionType {
  return live.communication.type === 'PRIVATE'
    ? 'private'
    : live.communication.type === 'LOCAL'
      ? 'local'
      : 'public';
}

/** URLs compare without a trailing slash and with a lower-case scheme and host. */
export function normalizeUrl(url: string | undefined): string {
  if (url === undefined) return '';
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}${u.search}`;
  } catch {
    return url.replace(/\/+$/, '');
  }
}
