import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DEFAULT_OWNER,
  DesiredConnection,
  DesiredNode,
  DesiredState,
  DesiredTrigger,
} from '../model/connection';
import {
  ConnectionType,
  isMode,
  isPlatform,
  Mode,
  Platform,
  RULES_EDITABLE,
  unavailableReason,
} from '../model/platforms';
import { Finding, toPointer } from './findings';
import { checkSchema, SchemaProblem } from './schema-check';
import { firstInvalidUtf8, MAX_FILE_BYTES, YamlSource } from './source';
import type {
  Connection as FileConnection,
  ExalateConnections,
  Trigger as FileTrigger,
} from './types.generated';

export const DEFAULT_CONFIG_FILE = 'connections.exalate.yaml';
export const MAX_RULE_FILE_BYTES = 1024 * 1024;

export interface LoadResult {
  findings: Finding[];
  /** Present when there is no error. */
  state?: DesiredState;
}

export interface LoadOptions {
  /** Folder relative paths are resolved against (and shown relative to). */
  cwd?: string;
}

type Problem = SchemaProblem;

const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * Read, parse and check one connections file: YAML, schema, then the semantic rules. Offline:
 * never touches the network nor reads the environment. Returns every problem found.
 */
export async function loadConfig(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  return loadConfigSync(file, options);
}

/** `loadConfig` for synchronous callers (CDKTF constructs are built synchronously). */
export function loadConfigSync(file: string, options: LoadOptions = {}): LoadResult {
  const cwd = options.cwd ?? process.cwd();
  const absolute = path.resolve(cwd, file);
  const shown = file;
  const fail = (message: string, line = 0, col = 0): LoadResult => ({
    findings: [{ file: shown, line, col, severity: 'error', message }],
  });

  let bytes: Buffer;
  try {
    const stat = fs.statSync(absolute);
    if (!stat.isFile()) return fail('not a regular file');
    if (stat.size > MAX_FILE_BYTES) {
      return fail(
        `the file is ${stat.size} bytes; the limit is ${MAX_FILE_BYTES} bytes (split it into several files)`,
      );
    }
    bytes = fs.readFileSync(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fail('file not found');
    if (code === 'EACCES') return fail('permission denied');
    return fail(`cannot read the file (${code ?? 'unknown error'})`);
  }

  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const before = bytes.subarray(0, bad).toString('utf8');
    const lines = before.split('\n');
    const line = lines.length;
    const col = (lines[lines.length - 1] ?? '').length + 1;
    return fail(
      `invalid UTF-8 (byte 0x${(bytes[bad] as number).toString(16).padStart(2, '0')}): save the file as UTF-8`,
      line,
      col,
    );
  }
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const parsed = YamlSource.parse(text);
  if (!parsed.source) {
    return {
      findings: parsed.problems.map((p) => ({
        file: shown,
        line: p.line,
        col: p.col,
        severity: 'error' as const,
        message: p.message,
      })),
    };
  }
  const source = parsed.source;
  const value = parsed.value;

  const problems: Problem[] = [...checkSchema(value)];
  const dir = path.dirname(absolute);
  const ruleTexts = new Map<string, string>();
  problems.push(...checkSemantics(value, dir, ruleTexts));

  const findings: Finding[] = problems.map((p) => {
    const pos = source.locate(p.path, p.atKey);
    return {
      file: shown,
      line: pos.line,
      col: pos.col,
      severity: 'error',
      message: p.message,
      pointer: toPointer(p.path),
    };
  });
  findings.sort((a, b) => a.line - b.line || a.col - b.col);
  if (findings.length > 0) return { findings };

  return { findings, state: buildState(value as ExalateConnections, absolute, shown, source, ruleTexts) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function connectionType(c: { node?: unknown; private?: unknown; remote?: unknown }): ConnectionType {
  const remote = isRecord(c.remote) ? c.remote : undefined;
  if (remote && typeof remote.node === 'string' && remote.node === c.node) return 'local';
  return c.private === true ? 'private' : 'public';
}

/** The rules beyond the schema, each with its own message. */
function checkSemantics(root: unknown, dir: string, ruleTexts: Map<string, string>): Problem[] {
  const problems: Problem[] = [];
  if (!isRecord(root)) return problems;
  const nodes = isRecord(root.nodes) ? root.nodes : {};
  const platformOf = (name: string): Platform | undefined => {
    const n = nodes[name];
    return isRecord(n) && isPlatform(n.platform) ? n.platform : undefined;
  };

  for (const [name, node] of Object.entries(nodes)) {
    if (!isRecord(node)) continue;
    const url = str(node.url);
    if (url !== undefined) checkUrl(url, ['nodes', name, 'url'], problems);
  }

  const connections = Array.isArray(root.connections) ? root.connections : [];
  const firstByKey = new Map<string, number>();
  const ruleChecks: (Problem | undefined)[] = [];
  const ruleCache = new Map<string, string | undefined>();
  connections.forEach((c: unknown, index: number) => {
    if (!isRecord(c)) return;
    const at = (...rest: (string | number)[]) => ['connections', String(index), ...rest.map(String)];
    const name = str(c.name);
    const node = str(c.node);
    const mode = isMode(c.mode) ? (c.mode as Mode) : undefined;
    const isPrivate = c.private === true;
    const remote = isRecord(c.remote) ? c.remote : undefined;

    if (name !== undefined && node !== undefined) {
      const key = `${node}\u0000${name}`;
      const first = firstByKey.get(key);
      if (first !== undefined) {
        problems.push({
          path: at('name'),
          atKey: false,
          message: `duplicate connection name '${name}' on node '${node}' (first declared at connections[${first}]): names are unique per node`,
        });
      } else {
        firstByKey.set(key, index);
      }
    }

    if (node !== undefined && !(node in nodes)) {
      problems.push({ path: at('node'), atKey: false, message: undeclared(node, Object.keys(nodes)) });
    }
    const remoteNode = remote ? str(remote.node) : undefined;
    if (remoteNode !== undefined && !(remoteNode in nodes)) {
      problems.push({
        path: at('remote', 'node'),
        atKey: false,
        message: undeclared(remoteNode, Object.keys(nodes)),
      });
    }
    const remoteUrl = remote ? str(remote.url) : undefined;
    if (remoteUrl !== undefined) checkUrl(remoteUrl, at('remote', 'url'), problems);

    const type = connectionType(c);
    if (!remote && !isPrivate) {
      problems.push({
        path: at(),
        atKey: false,
        message:
          "a public connection needs 'remote' (url or node); set 'private: true' if the partner has no reachable URL",
      });
    }
    if (isPrivate && remoteUrl !== undefined) {
      problems.push({
        path: at('remote', 'url'),
        atKey: false,
        message: "a private connection has no destination URL: remove 'remote.url' or set 'private: false'",
      });
    }
    if (isPrivate && type === 'local') {
      problems.push({
        path: at('private'),
        atKey: false,
        message: 'a local connection (remote.node is the initiating node) cannot be private',
      });
    }

    const platform = node !== undefined ? platformOf(node) : undefined;
    if (platform && mode) {
      const reason = unavailableReason(platform, mode, type);
      if (reason) problems.push({ path: at('mode'), atKey: false, message: reason });
      const otherPlatform =
        remoteNode !== undefined && remoteNode !== node ? platformOf(remoteNode) : undefined;
      if (!reason && otherPlatform) {
        const otherReason = unavailableReason(otherPlatform, mode, type);
        if (otherReason) {
          problems.push({
            path: at('mode'),
            atKey: false,
            message: `the remote node '${remoteNode}': ${otherReason}`,
          });
        }
      }
    }

    const rules = isRecord(c.rules) ? c.rules : undefined;
    if (rules && mode && !RULES_EDITABLE[mode]) {
      problems.push({
        path: at('rules'),
        atKey: true,
        message: `sync rules cannot be edited in mode '${mode}': 'rules' is for mode 'script' only`,
      });
    }
    if (rules) {
      for (const direction of ['outgoing', 'incoming'] as const) {
        const file = str(rules[direction]);
        if (file !== undefined)
          ruleChecks.push(checkRuleFile(file, dir, at('rules', direction), ruleCache, ruleTexts));
      }
    }

    if (Array.isArray(c.triggers)) {
      const seen = new Map<string, number>();
      c.triggers.forEach((t: unknown, ti: number) => {
        if (!isRecord(t) || typeof t.entityType !== 'string') return;
        const before = seen.get(t.entityType);
        if (before !== undefined) {
          problems.push({
            path: at('triggers', ti, 'entityType'),
            atKey: false,
            message: `a second trigger for entity type '${t.entityType}' (first at triggers[${before}]): one trigger per entity type`,
          });
        } else {
          seen.set(t.entityType, ti);
        }
      });
    }
  });
  for (const problem of ruleChecks) if (problem) problems.push(problem);
  return problems;
}

function undeclared(name: string, declared: string[]): string {
  const list = declared.length > 0 ? declared.join(', ') : 'none';
  return `node '${name}' is not declared under 'nodes' (declared: ${list})`;
}

function checkUrl(url: string, at: string[], problems: Problem[]): void {
  if (ENV_REF.test(url) || /\$\{/.test(url)) {
    if (!/^(\$\{[A-Za-z_][A-Za-z0-9_]*\}|[^$])*$/.test(url)) {
      problems.push({
        path: at,
        atKey: false,
        message: "malformed environment reference: write ${NAME} with letters, digits and '_'",
      });
    }
    return;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    problems.push({
      path: at,
      atKey: false,
      message:
        'not a URL (write https://host/… or ${ENV_VAR}); the value is not repeated in case it is a secret',
    });
    return;
  }
  if (parsed.username || parsed.password) {
    problems.push({
      path: at,
      atKey: false,
      message:
        'credentials in a URL are a literal secret: remove them and put the token in an environment variable',
    });
  } else if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    problems.push({
      path: at,
      atKey: false,
      message: `unsupported URL scheme '${parsed.protocol}': use https://`,
    });
  }
}

/**
 * Check one rule file reference; the file system is asked once per distinct path however many
 * connections share it.
 */
function checkRuleFile(
  file: string,
  dir: string,
  at: string[],
  cache: Map<string, string | undefined>,
  ruleTexts: Map<string, string>,
): Problem | undefined {
  if (!cache.has(file)) cache.set(file, readRuleFile(file, dir, ruleTexts));
  const message = cache.get(file);
  return message ? { path: at, atKey: false, message } : undefined;
}

/** Reads a rule file into `ruleTexts`; returns why it cannot be used, if it cannot. */
function readRuleFile(file: string, dir: string, ruleTexts: Map<string, string>): string | undefined {
  if (path.isAbsolute(file) || /^[A-Za-z]:[\\/]/.test(file)) {
    return `rule file '${file}' must be a path relative to the config's folder`;
  }
  if (file.split(/[\\/]/).includes('..')) {
    return `rule file '${file}' must stay inside the config's folder ('..' is not allowed)`;
  }
  const normal = path.normalize(file);
  const full = path.join(dir, normal);
  let real: string;
  try {
    real = fs.realpathSync(full);
  } catch {
    return `rule file '${file}' not found`;
  }
  const realDir = fs.realpathSync(dir);
  if (real !== realDir && !real.startsWith(realDir + path.sep)) {
    return `rule file '${file}' resolves (through a link) outside the config's folder`;
  }
  const stat = fs.statSync(real);
  if (!stat.isFile()) return `rule file '${file}' is not a regular file`;
  if (stat.size > MAX_RULE_FILE_BYTES) {
    return `rule file '${file}' is ${stat.size} bytes; the limit is ${MAX_RULE_FILE_BYTES}`;
  }
  const bytes = fs.readFileSync(real);
  if (firstInvalidUtf8(bytes) >= 0) return `rule file '${file}' is not valid UTF-8`;
  ruleTexts.set(normal, bytes.toString('utf8'));
  return undefined;
}

function buildState(
  file: ExalateConnections,
  absolute: string,
  shown: string,
  source: YamlSource,
  ruleTexts: Map<string, string>,
): DesiredState {
  const nodes = new Map<string, DesiredNode>();
  for (const [name, n] of Object.entries(file.nodes)) {
    const tokenEnv = ENV_REF.exec(n.token)?.[1] as string;
    nodes.set(name, {
      name,
      url: n.url,
      platform: n.platform,
      tokenEnv,
      location: { file: shown, ...source.locate(['nodes', name], true) },
    });
  }
  const connections = file.connections.map((c: FileConnection, index): DesiredConnection => {
    const type = connectionType(c);
    const triggers = (c.triggers ?? []).map((t: FileTrigger): DesiredTrigger => ({
      entityType: t.entityType,
      query: t.query,
      active: t.active ?? true,
      notes: t.notes ?? '',
    }));
    const desired: DesiredConnection = {
      name: c.name,
      node: c.node,
      localShortName: c.localShortName,
      remoteShortName: c.remoteShortName,
      mode: c.mode,
      private: c.private ?? false,
      type,
      description: c.description ?? '',
      enabled: c.enabled ?? true,
      protect: c.protect ?? false,
      triggers,
      location: { file: shown, ...source.locate(['connections', index]) },
    };
    if (c.remote) desired.remote = { ...c.remote };
    if (c.remote?.url !== undefined) {
      desired.remoteUrlLocation = { file: shown, ...source.locate(['connections', index, 'remote', 'url']) };
    }
    if (c.incomingScope !== undefined) desired.incomingScope = c.incomingScope;
    if (c.rules) {
      desired.rulesFiles = { ...c.rules };
      desired.rules = {};
      if (c.rules.outgoing !== undefined)
        desired.rules.outgoing = ruleTexts.get(path.normalize(c.rules.outgoing));
      if (c.rules.incoming !== undefined)
        desired.rules.incoming = ruleTexts.get(path.normalize(c.rules.incoming));
    }
    return desired;
  });
  return { file: absolute, owner: file.owner ?? DEFAULT_OWNER, nodes, connections };
}
