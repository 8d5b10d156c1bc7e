import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import type { Connection, Rules, Trigger } from '../provider/api/types';

/** A connection as the emulator stores it: the wire fields plus what only the node knows. */
export interface StoredConnection extends Omit<
  Connection,
  'rules' | 'triggers' | 'description' | 'configurationType' | 'localShortName'
> {
  description: string;
  configurationType: NonNullable<Connection['configurationType']>;
  localShortName: string;
  remoteShortName: string;
  version: number;
  role: 'INITIATOR' | 'ACCEPTOR';
  createdAt: string;
  updatedAt: string;
  incomingScope?: string;
  /** Script mode only. */
  rules?: Rules;
  triggers: Trigger[];
  /** The current invitation code while PENDING (a secret; never logged). */
  invitationCode?: string;
  /** The other side, once accepted on another emulated node. */
  peer?: { node: string; id: number };
}

export interface StoredNode {
  platform: string;
  nextId: number;
  connections: StoredConnection[];
}

/** A code that can no longer be accepted, kept by its SHA-256 only. */
export interface RetiredCode {
  reason: 'used' | 'revoked';
  node: string;
  connectionId: number;
  acceptedBy?: { node: string; id: number };
}

export interface EmulatorState {
  format: 1;
  nodes: Record<string, StoredNode>;
  retiredCodes: Record<string, RetiredCode>;
}

export const STATE_FILE = 'state.json';

export function emptyState(): EmulatorState {
  return { format: 1, nodes: {}, retiredCodes: {} };
}

/** The state in `dir`, or an empty one when there is none yet. */
export function loadState(dir: string): EmulatorState {
  mkdirSync(dir, { recursive: true });
  let text: string;
  try {
    text = readFileSync(path.join(dir, STATE_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<EmulatorState>;
  if (parsed.format !== 1 || typeof parsed.nodes !== 'object' || parsed.nodes === null) {
    throw new Error(`${path.join(dir, STATE_FILE)} is not an emulator state file (format 1)`);
  }
  return { format: 1, nodes: parsed.nodes, retiredCodes: parsed.retiredCodes ?? {} };
}

/**
 * Write the state atomically and durably: a temporary file in the same folder, fsync, rename over
 * the old file, fsync the folder. After this returns, a crash (even `kill -9`) keeps the new state.
 */
export function saveState(dir: string, state: EmulatorState): void {
  const target = path.join(dir, STATE_FILE);
  const temp = path.join(dir, `.${STATE_FILE}.${process.pid}.tmp`);
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(state));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, target);
  try {
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic there.
  }
}
