/**
 * What the benchmarks run on: generated connections files, and emulator states that hold their
 * connections already (written straight to the emulator's state, so a benchmark of 10,000
 * connections does not first spend its time creating them).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { STATE_FILE, type StoredConnection } from '../emulator/store';
import { configurationTypeOf, communicationTypeOf } from '../provider/api/contract';
import { loadConfigSync } from '../provider/config/load';
import type { DesiredState } from '../provider/model/connection';
import { normalizeTriggers } from '../provider/model/normalize';
import { withOwnership } from '../provider/model/ownership';
import type { Platform } from '../provider/model/platforms';

export const TOKEN = 'bench-token';
const PLATFORMS: readonly Platform[] = ['freshservice', 'jira-cloud', 'servicenow', 'zendesk'];

export const nodeName = (i: number): string => `node-${i}`;
export const platformOf = (i: number): Platform => PLATFORMS[i % PLATFORMS.length] as Platform;

/** A valid connections file: `count` private Script connections with rules and a trigger, over `nodes` nodes. */
export function generateConfig(count: number, nodes = 4): string {
  const lines = ['version: 1', 'owner: bench', 'nodes:'];
  for (let i = 0; i < nodes; i++) {
    lines.push(
      `  ${nodeName(i)}:`,
      `    url: \${NODE_${i}_URL}`,
      `    platform: ${platformOf(i)}`,
      `    token: \${NODE_${i}_TOKEN}`,
    );
  }
  lines.push('connections:');
  for (let i = 0; i < count; i++) {
    lines.push(
      `  - name: connection-${i}`,
      `    node: ${nodeName(i % nodes)}`,
      `    localShortName: local${i}`,
      `    remoteShortName: remote${i}`,
      '    mode: script',
      '    private: true',
      `    description: "Generated connection number ${i}"`,
      '    rules:',
      '      outgoing: rules/outgoing.groovy',
      '      incoming: rules/incoming.groovy',
      '    triggers:',
      '      - entityType: ticket',
      `        query: "priority:${i % 5}"`,
      '        notes: generated',
    );
  }
  return lines.join('\n') + '\n';
}

/** The generated file and its rule files in `dir`; returns the file's path. */
export function writeConfig(dir: string, count: number, nodes = 4): string {
  mkdirSync(path.join(dir, 'rules'), { recursive: true });
  writeFileSync(path.join(dir, 'rules', 'outgoing.groovy'), 'replica.summary = issue.summary\n');
  writeFileSync(path.join(dir, 'rules', 'incoming.groovy'), 'issue.summary = replica.summary\n');
  const file = path.join(dir, 'connections.exalate.yaml');
  writeFileSync(file, generateConfig(count, nodes));
  return file;
}

/** The desired state of a file written by `writeConfig`. */
export function desiredState(file: string): DesiredState {
  const loaded = loadConfigSync(path.basename(file), { cwd: path.dirname(file) });
  if (!loaded.state) throw new Error(`the generated file is not valid: ${loaded.findings[0]?.message}`);
  return loaded.state;
}

/**
 * An emulator state in `dataDir` with the first `present` declared connections on their nodes as
 * an apply would have left them (accepted by their partner: ACTIVE), and every `driftEvery`-th
 * of those with a description edited by hand.
 */
export function seedEmulator(
  dataDir: string,
  state: DesiredState,
  options: { present?: number; driftEvery?: number } = {},
): Record<string, Platform> {
  // The emulator's snapshot format (format 1), written whole: the emulator loads it at start.
  const stored: {
    format: 1;
    nodes: Record<string, { platform: string; nextId: number; connections: StoredConnection[] }>;
    retiredCodes: Record<string, never>;
  } = { format: 1, nodes: {}, retiredCodes: {} };
  const platforms: Record<string, Platform> = {};
  for (const node of state.nodes.values()) {
    platforms[node.name] = node.platform;
    stored.nodes[node.name] = { platform: node.platform, nextId: 1, connections: [] };
  }
  const at = new Date(Date.UTC(2026, 0, 1)).toISOString();
  state.connections.slice(0, options.present ?? state.connections.length).forEach((d, i) => {
    const node = stored.nodes[d.node]!;
    const edited = options.driftEvery !== undefined && i % options.driftEvery === 0;
    const c: StoredConnection = {
      id: node.nextId++,
      name: d.name,
      description: edited
        ? withOwnership(`${d.description} (edited by hand)`, { owner: state.owner, protect: d.protect })
        : withOwnership(d.description, { owner: state.owner, protect: d.protect }),
      status: 'ACTIVE',
      configurationType: configurationTypeOf(d.mode),
      localShortName: d.localShortName,
      remoteShortName: d.remoteShortName,
      communication: { type: communicationTypeOf(d.type) },
      version: 1,
      role: 'INITIATOR',
      createdAt: at,
      updatedAt: at,
      ...(d.mode === 'script'
        ? { rules: { outgoing: d.rules?.outgoing ?? '', incoming: d.rules?.incoming ?? '' } }
        : {}),
      triggers: normalizeTriggers(d.triggers),
    };
    node.connections.push(c);
  });
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path.join(dataDir, STATE_FILE), JSON.stringify(stored));
  return platforms;
}

/** The environment a CLI run needs to reach the emulated nodes. */
export function nodeEnv(nodes: number, url: (name: string) => string): Record<string, string> {
  const env: Record<string, string> = {};
  for (let i = 0; i < nodes; i++) {
    env[`NODE_${i}_URL`] = url(nodeName(i));
    env[`NODE_${i}_TOKEN`] = TOKEN;
  }
  return env;
}
