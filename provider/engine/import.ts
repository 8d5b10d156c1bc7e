import { promises as fs, constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { Connection } from '../api/contract';
import type { DesiredState } from '../model/connection';
import { errors } from '../model/errors';
import { CONNECTION_FIELDS, type FieldKey } from '../model/fields';
import { normalizeUrl, uniqueName, type TriggerValue } from '../model/normalize';
import { adoptedValues, type AdoptContext } from './adopt';
import { isPairedWith } from './diff';
import type { LiveNode, LiveState } from './live';
import type { ResolvedNode } from './nodes';
import { findCounterpart } from './plan';
import { packageRoot } from '../util/paths';

/**
 * One connection as YAML: the registry's fields in its order, values equal to the registry's
 * default left out, dotted keys nested.
 */
function toYamlEntry(values: Partial<Record<FieldKey, unknown>>): Record<string, unknown> {
  const entry: Record<string, unknown> = {};
  for (const f of CONNECTION_FIELDS) {
    const v = values[f.key];
    if (v === undefined || JSON.stringify(v) === JSON.stringify(f.default)) continue;
    const [head, tail] = f.key.split('.') as [string, string | undefined];
    if (tail === undefined) entry[head] = v;
    else entry[head] = { ...((entry[head] as Record<string, unknown> | undefined) ?? {}), [tail]: v };
  }
  return entry;
}

export interface ImportResult {
  /** Files to write, relative to the output file's folder, in order (the config last). */
  files: { path: string; content: string }[];
  imported: string[];
  skipped: { name: string; reason: string }[];
}

function safeSegment(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '');
  return s === '' ? 'connection' : s;
}

/**
 * YAML (and rule files) for the live connections initiated on `nodeName`, such that a plan
 * with the result shows no changes.
 */
export function buildImport(
  state: DesiredState,
  nodeName: string,
  live: LiveState,
  resolved: ReadonlyMap<string, ResolvedNode>,
  outFile: string,
  owner: string,
): ImportResult {
  const nodeLive = live.get(nodeName) as LiveNode;
  const nodeUrl = resolved.get(nodeName)?.url;
  const files: { path: string; content: string }[] = [];
  const imported: string[] = [];
  const skipped: { name: string; reason: string }[] = [];
  const usedNodes = new Set<string>([nodeName]);
  const connections: Record<string, unknown>[] = [];
  const usedSegments = new Set<string>();
  const rulesDir = `${path.basename(outFile).replace(/\.exalate\.ya?ml$|\.ya?ml$/, '')}-rules`;

  const declaredByUrl = (url: string | undefined): string | undefined =>
    [...resolved.values()].find((n) => n.name !== nodeName && normalizeUrl(n.url) === normalizeUrl(url))
      ?.name;
  const counterpartNode = (c: Connection): { node: string; scope?: string } | undefined => {
    for (const [other, otherLive] of live) {
      if (other === nodeName) continue;
      const peer = findCounterpart(otherLive, c.name, nodeUrl);
      if (peer && isPairedWith(peer, c))
        return { node: other, ...(peer.incomingScope !== undefined ? { scope: peer.incomingScope } : {}) };
    }
    return undefined;
  };

  const adopt: AdoptContext = { node: nodeName, owner, declaredByUrl, counterpart: counterpartNode };
  for (const c of [...nodeLive.connections].sort((a, b) => a.name.localeCompare(b.name))) {
    const adopted = adoptedValues(c, adopt);
    if ('skip' in adopted) {
      skipped.push({ name: c.name, reason: adopted.skip });
      continue;
    }
    const values = adopted.values;
    const remoteNode = values['remote.node'];
    if (typeof remoteNode === 'string') usedNodes.add(remoteNode);
    if (values['rules.outgoing'] !== undefined && c.rules) {
      // Names that map to the same folder ("Foo Bar", "Foo-Bar") get a numbered one each.
      const segment = uniqueName(safeSegment(c.name), (n) => usedSegments.has(n.toLowerCase()), '-');
      usedSegments.add(segment.toLowerCase());
      const base = `${rulesDir}/${segment}`;
      values['rules.outgoing'] = `${base}/outgoing.groovy`;
      values['rules.incoming'] = `${base}/incoming.groovy`;
      files.push({ path: `${base}/outgoing.groovy`, content: c.rules.outgoing });
      files.push({ path: `${base}/incoming.groovy`, content: c.rules.incoming });
    }
    values.triggers = (values.triggers as TriggerValue[]).map((t) => ({
      entityType: t.entityType,
      query: t.query,
      ...(t.active ? {} : { active: false }),
      ...(t.notes ? { notes: t.notes } : {}),
    }));
    connections.push(toYamlEntry(values));
    imported.push(c.name);
  }

  const nodes: Record<string, unknown> = {};
  for (const name of [...usedNodes].sort()) {
    const n = state.nodes.get(name);
    if (n)
      nodes[name] = {
        url: n.url,
        platform: n.platform,
        token: `\${${n.tokenEnv}}`,
        ...(n.userEnv !== undefined ? { user: `\${${n.userEnv}}` } : {}),
        ...(n.rateLimit !== undefined ? { rateLimit: n.rateLimit } : {}),
      };
  }
  const schemaRef = path.relative(
    path.dirname(path.resolve(outFile)),
    path.join(packageRoot(), 'schemas', 'exalate-connections.schema.json'),
  );
  const header = `# yaml-language-server: $schema=${schemaRef.split(path.sep).join('/')}\n# Imported from node '${nodeName}' by exalate-iac import.\n`;
  const doc = { version: 1, owner, nodes, connections };
  files.push({ path: path.basename(outFile), content: header + stringify(doc, { lineWidth: 0 }) });
  return { files, imported, skipped };
}

/** Write every file, refusing (before writing anything) when one of them exists already. */
export async function writeImport(dir: string, files: { path: string; content: string }[]): Promise<void> {
  const existing: string[] = [];
  for (const f of files) {
    try {
      await fs.access(path.join(dir, f.path), fsConstants.F_OK);
      existing.push(f.path);
    } catch {
      // does not exist: good
    }
  }
  if (existing.length > 0) throw errors.importConflict(existing);
  const written: string[] = [];
  const madeDirs: string[] = [];
  try {
    for (const f of files) {
      const full = path.join(dir, f.path);
      const made = await fs.mkdir(path.dirname(full), { recursive: true });
      if (made) madeDirs.push(made);
      await fs.writeFile(full, f.content, { flag: 'wx' });
      written.push(full);
    }
  } catch (error) {
    // Leave nothing half-written: the files, then the folders this run created.
    await Promise.all(written.map((w) => fs.rm(w, { force: true })));
    for (const d of madeDirs.reverse()) await fs.rm(d, { recursive: true, force: true });
    throw error;
  }
}
