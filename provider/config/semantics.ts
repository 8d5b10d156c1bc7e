/**
 * The rules beyond the schema, each with its own message, on the parsed value. Every lookup by a
 * name the file chose goes through own properties only: a node called `constructor` is just a
 * name.
 */
import { connectionType } from '../model/connection';
import {
  isMode,
  isPlatform,
  partnerReason,
  RULES_EDITABLE,
  unavailableReason,
  type Platform,
} from '../model/platforms';
import { nodeUrlProblem } from '../model/url';
import type { RuleFiles } from './rules';
import type { SchemaProblem } from './schema-check';
import { bidiInScript, skeleton, unsafeText } from './text-safety';

export interface Problem extends SchemaProblem {
  severity?: 'error' | 'warning';
  /** A position inside another file (a rule file), instead of a path in this one. */
  at?: { file: string; line: number; col: number };
}

const NAME = { multiline: false, name: true } as const;
const MULTILINE = { multiline: true } as const;

const ENV_REF_ONLY = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function own<T>(o: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function undeclared(name: string, declared: string[]): string {
  return `node '${name}' is not declared under 'nodes' (declared: ${declared.length > 0 ? declared.join(', ') : 'none'})`;
}

function checkUrl(url: string, at: string[], problems: Problem[]): void {
  if (/\$\{/.test(url)) {
    if (!ENV_REF_ONLY.test(url) && !/^(\$\{[A-Za-z_][A-Za-z0-9_]*\}|[^$])*$/.test(url)) {
      problems.push({
        path: at,
        atKey: false,
        message: "malformed environment reference: write ${NAME} with letters, digits and '_'",
      });
    }
    return;
  }
  // Plain http to a remote host is decided at run time, where the environment may allow it.
  const problem = nodeUrlProblem(url, { checkInsecure: false });
  if (problem) problems.push({ path: at, atKey: false, message: problem.message });
}

export function checkSemantics(root: unknown, rules: RuleFiles): Problem[] {
  const problems: Problem[] = [];
  if (!isRecord(root)) return problems;
  const nodes = isRecord(root.nodes) ? root.nodes : {};
  const nodeNames = Object.keys(nodes);
  const platformOf = (name: string): Platform | undefined => {
    const n = own(nodes, name);
    return isRecord(n) && isPlatform(n.platform) ? n.platform : undefined;
  };
  // The path is built only for a problem: most values have none.
  const text = (
    value: unknown,
    options: { multiline: boolean; name?: boolean },
    ...at: (string | number)[]
  ) => {
    if (typeof value !== 'string') return;
    const why = unsafeText(value, options);
    if (why) problems.push({ path: at.map(String), atKey: false, message: why });
  };
  const bidiByFile = new Map<string, ReturnType<typeof bidiInScript>>();

  for (const [name, node] of Object.entries(nodes)) {
    if (!isRecord(node)) continue;
    const url = str(node.url);
    text(url, { multiline: false }, 'nodes', name, 'url');
    if (url !== undefined) checkUrl(url, ['nodes', name, 'url'], problems);
  }

  const connections = Array.isArray(root.connections) ? root.connections : [];
  const firstByKey = new Map<string, number>();
  const firstBySkeleton = new Map<string, { name: string; index: number }>();
  const ruleChecks: Problem[] = [];
  connections.forEach((c: unknown, index: number) => {
    if (!isRecord(c)) return;
    const at = (...rest: (string | number)[]) => ['connections', String(index), ...rest.map(String)];
    const name = str(c.name);
    const node = str(c.node);
    const mode = isMode(c.mode) ? c.mode : undefined;
    const isPrivate = c.private === true;
    const remote = isRecord(c.remote) ? c.remote : undefined;

    text(c.name, NAME, 'connections', index, 'name');
    text(c.localShortName, NAME, 'connections', index, 'localShortName');
    text(c.remoteShortName, NAME, 'connections', index, 'remoteShortName');
    text(c.description, MULTILINE, 'connections', index, 'description');
    text(c.incomingScope, NAME, 'connections', index, 'incomingScope');

    if (name !== undefined && node !== undefined) {
      const key = `${node}\u0000${name}`;
      const first = firstByKey.get(key);
      const look = `${node}\u0000${skeleton(name)}`;
      const twin = firstBySkeleton.get(look);
      if (first !== undefined) {
        problems.push({
          path: at('name'),
          atKey: false,
          message: `duplicate connection name '${name}' on node '${node}' (first declared at connections[${first}]): names are unique per node`,
        });
      } else if (twin !== undefined) {
        problems.push({
          path: at('name'),
          atKey: false,
          message: `looks the same as connection '${twin.name}' on node '${node}' (connections[${twin.index}]) but is written with other characters: rename one of them`,
        });
      } else {
        firstByKey.set(key, index);
        firstBySkeleton.set(look, { name, index });
      }
    }

    if (node !== undefined && !Object.hasOwn(nodes, node)) {
      problems.push({ path: at('node'), atKey: false, message: undeclared(node, nodeNames) });
    }
    const remoteNode = remote ? str(remote.node) : undefined;
    if (remoteNode !== undefined && !Object.hasOwn(nodes, remoteNode)) {
      problems.push({ path: at('remote', 'node'), atKey: false, message: undeclared(remoteNode, nodeNames) });
    }
    const remoteUrl = remote ? str(remote.url) : undefined;
    text(remoteUrl, { multiline: false }, ...at('remote', 'url'));
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
    if (c.incomingScope !== undefined && (remoteNode === undefined || remoteNode === node)) {
      problems.push({
        path: at('incomingScope'),
        atKey: true,
        message:
          "'incomingScope' is set when the tool accepts the invitation on another declared node: it needs 'remote.node' (the partner chooses it otherwise)",
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
        if (otherReason)
          problems.push({
            path: at('mode'),
            atKey: false,
            message: `the remote node '${remoteNode}': ${otherReason}`,
          });
      }
      // Visual: no code to hand over, so the other side must be a node the tool can accept on.
      const partner =
        !reason && remoteUrl !== undefined ? partnerReason(mode, type, remoteNode !== undefined) : undefined;
      if (partner) problems.push({ path: at('mode'), atKey: false, message: partner });
    }

    const ruleRefs = isRecord(c.rules) ? c.rules : undefined;
    if (ruleRefs && mode && !RULES_EDITABLE[mode]) {
      problems.push({
        path: at('rules'),
        atKey: true,
        message: `sync rules cannot be edited in mode '${mode}': 'rules' is for mode 'script' only`,
      });
    }
    if (ruleRefs) {
      for (const direction of ['outgoing', 'incoming'] as const) {
        const file = str(ruleRefs[direction]);
        if (file === undefined) continue;
        const why = unsafeText(file, { multiline: false });
        if (why) {
          problems.push({ path: at('rules', direction), atKey: false, message: why });
          continue;
        }
        const message = rules.problem(file);
        if (message) {
          ruleChecks.push({ path: at('rules', direction), atKey: false, message });
          continue;
        }
        let bidi = bidiByFile.get(file);
        if (!bidiByFile.has(file)) bidiByFile.set(file, (bidi = bidiInScript(rules.text(file))));
        if (bidi)
          ruleChecks.push({
            path: at('rules', direction),
            atKey: false,
            severity: 'warning',
            message: `rule file '${file}' contains an invisible bidirectional control (${bidi.codePoint}) at line ${bidi.line}, column ${bidi.col}: review what it hides`,
          });
      }
    }

    if (Array.isArray(c.triggers)) {
      const seen = new Map<string, number>();
      c.triggers.forEach((t: unknown, ti: number) => {
        if (!isRecord(t)) return;
        text(t.entityType, NAME, 'connections', index, 'triggers', ti, 'entityType');
        text(t.query, MULTILINE, 'connections', index, 'triggers', ti, 'query');
        text(t.notes, MULTILINE, 'connections', index, 'triggers', ti, 'notes');
        if (typeof t.entityType !== 'string' || typeof t.query !== 'string') return;
        const key = `${t.entityType.trim()}\u0000${t.query.trim()}`;
        const before = seen.get(key);
        if (before !== undefined) {
          problems.push({
            path: at('triggers', ti),
            atKey: false,
            message: `the same trigger (entity type '${t.entityType}', same query) is already at triggers[${before}]`,
          });
        } else {
          seen.set(key, ti);
        }
      });
    }
  });
  problems.push(...ruleChecks);
  return problems;
}
