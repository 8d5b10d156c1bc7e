import { promises as fs, constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { Connection } from '../client/types';
import type { DesiredState } from '../model/connection';
import { connectionTypeOf, modeOf, normalizeTriggers, normalizeUrl, readOwnership } from './normalize';
import type { LiveNode } from './plan';
import type { ResolvedNode } from './nodes';
import { packageRoot } from '../paths';

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
  live: Map<string, LiveNode>,
  resolved: Map<string, ResolvedNode>,
  outFile: string,
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
  const counterpartNode = (c: Connection): string | undefined => {
    for (const [other, otherLive] of live) {
      if (other === nodeName) continue;
      const peer = otherLive.byName.get(c.name);
      if (peer?.role === 'ACCEPTOR' && normalizeUrl(peer.communication.remoteUrl) === normalizeUrl(nodeUrl))
        return other;
    }
    return undefined;
  };

  for (const c of [...nodeLive.connections].sort((a, b) => a.name.localeCompare(b.name))) {
    if (c.role === 'ACCEPTOR') {
      skipped.push({
        name: c.name,
        reason: 'the accepting side of a connection initiated elsewhere: import it from its initiating node',
      });
      continue;
    }
    const { text, ownership } = readOwnership(c.description);
    if (ownership && ownership.owner !== state.owner) {
      skipped.push({ name: c.name, reason: `owned by '${ownership.owner}'` });
      continue;
    }
    const type = connectionTypeOf(c);
    const entry: Record<string, unknown> = {
      name: c.name,
      node: nodeName,
      localShortName: c.localShortName,
      remoteShortName: c.remoteShortName,
      mode: modeOf(c.configurationType),
    };
    if (type === 'private') entry.private = true;
    if (text !== '') entry.description = text;
    if (type === 'local') entry.remote = { node: nodeName };
    else if (type === 'public') {
      const declared = c.status === 'PENDING' ? undefined : declaredByUrl(c.communication.remoteUrl);
      const peer = declared ? counterpartNode(c) : undefined;
      if (declared && peer === declared) {
        entry.remote = { node: declared };
        usedNodes.add(declared);
      } else {
        entry.remote = { url: c.communication.remoteUrl ?? '' };
      }
    } else if (c.status !== 'PENDING') {
      const peer = counterpartNode(c);
      if (peer) {
        entry.remote = { node: peer };
        usedNodes.add(peer);
      }
    }
    if (c.status === 'DEACTIVATED') entry.enabled = false;
    if (ownership?.protect) entry.protect = true;
    if (c.configurationType === 'SCRIPT' && c.rules) {
      // Names that map to the same folder ("Foo Bar", "Foo-Bar") get a numbered one each.
      let segment = safeSegment(c.name);
      for (let n = 2; usedSegments.has(segment.toLowerCase()); n++) segment = `${safeSegment(c.name)}-${n}`;
      usedSegments.add(segment.toLowerCase());
      const base = `${rulesDir}/${segment}`;
      entry.rules = { outgoing: `${base}/outgoing.groovy`, incoming: `${base}/incoming.groovy` };
      files.push({ path: `${base}/outgoing.groovy`, content: c.rules.outgoing });
      files.push({ path: `${base}/incoming.groovy`, content: c.rules.incoming });
    }
    const triggers = normalizeTriggers(c.triggers ?? []);
    if (triggers.length > 0) {
      entry.triggers = triggers.map((t) => ({
        entityType: t.entityType,
        query: t.query,
        ...(t.active ? {} : { active: false }),
        ...(t.notes ? { notes: t.notes } : {}),
      }));
    }
    connections.push(entry);
    imported.push(c.name);
  }

  const nodes: Record<string, unknown> = {};
  for (const name of [...usedNodes].sort()) {
    const n = state.nodes.get(name);
    if (n) nodes[name] = { url: n.url, platform: n.platform, token: `\${${n.tokenEnv}}` };
  }
  const schemaRef = path.relative(
    path.dirname(path.resolve(outFile)),
    path.join(packageRoot(), 'schemas', 'exalate-connections.schema.json'),
  );
  const header = `# yaml-language-server: $schema=${schemaRef.split(path.sep).join('/')}\n# Imported from node '${nodeName}' by exalate-iac import.\n`;
  const doc = { version: 1, owner: state.owner, nodes, connections };
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
  if (existing.length > 0) throw new ImportConflictError(existing);
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

export class ImportConflictError extends Error {
  constructor(readonly paths: string[]) {
    super(`refusing to overwrite existing files: ${paths.join(', ')}`);
    this.name = 'ImportConflictError';
  }
}
