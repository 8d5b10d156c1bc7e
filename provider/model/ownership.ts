import { normalizeText } from './normalize';

/**
 * Ownership and protection are recorded on the connection itself, in the last line of its
 * description, so they survive a lost CI workspace and a connection removed from the file:
 *
 *     Escalated tickets to the partner's Jira
 *
 *     [exalate-iac owner=platform-team protect=true]
 *
 * The marker is written whenever the tool writes a description (the CLI and the Terraform
 * provider alike); everything compares the description without it.
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
