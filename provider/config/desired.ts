/** The desired state of a valid config: defaults applied, rule files read, positions kept. */
import * as path from 'node:path';
import {
  DEFAULT_OWNER,
  connectionType,
  type DesiredConnection,
  type DesiredNode,
  type DesiredState,
  type SourceLocation,
} from '../model/connection';
import type { RuleFiles } from './rules';
import type { Position } from './source';
import type {
  Connection as FileConnection,
  ExalateConnections,
  Trigger as FileTrigger,
} from './types.generated';

const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Where a value of the file is written (`YamlSource.locate`). */
export interface Locator {
  locate(path: ReadonlyArray<string | number>, key?: boolean): Position;
}

/**
 * A location whose line and column are looked up when first read: a valid file needs them only
 * for messages, so loading it never pays for the positional parse.
 */
function lazyLocation(file: string, find: () => Position): SourceLocation {
  let found: Position | undefined;
  return {
    file,
    get line() {
      return (found ??= find()).line;
    },
    get col() {
      return (found ??= find()).col;
    },
  };
}

export function buildState(
  file: ExalateConnections,
  where: { absolute: string; shown: string; digest: string },
  source: Locator,
  rules: RuleFiles,
): DesiredState {
  const nodes = new Map<string, DesiredNode>();
  for (const [name, n] of Object.entries(file.nodes)) {
    nodes.set(name, {
      name,
      url: n.url,
      platform: n.platform,
      tokenEnv: ENV_REF.exec(n.token)?.[1] as string,
      ...(n.user !== undefined ? { userEnv: ENV_REF.exec(n.user)?.[1] as string } : {}),
      ...(n.rateLimit !== undefined ? { rateLimit: n.rateLimit } : {}),
      location: lazyLocation(where.shown, () => source.locate(['nodes', name], true)),
    });
  }
  const connections = file.connections.map((c: FileConnection, index): DesiredConnection => {
    const desired: DesiredConnection = {
      name: c.name,
      node: c.node,
      localShortName: c.localShortName,
      remoteShortName: c.remoteShortName,
      mode: c.mode,
      private: c.private ?? false,
      type: connectionType(c),
      description: c.description ?? '',
      enabled: c.enabled ?? true,
      protect: c.protect ?? false,
      triggers: (c.triggers ?? []).map((t: FileTrigger) => ({
        entityType: t.entityType,
        query: t.query,
        active: t.active ?? true,
        notes: t.notes ?? '',
      })),
      location: lazyLocation(where.shown, () => source.locate(['connections', index])),
    };
    if (c.remote) desired.remote = { ...c.remote };
    if (c.remote?.url !== undefined) {
      desired.remoteUrlLocation = lazyLocation(where.shown, () =>
        source.locate(['connections', index, 'remote', 'url']),
      );
    }
    if (c.incomingScope !== undefined) desired.incomingScope = c.incomingScope;
    if (c.rules) {
      desired.rulesFiles = { ...c.rules };
      desired.rules = {};
      if (c.rules.outgoing !== undefined) desired.rules.outgoing = rules.text(c.rules.outgoing);
      if (c.rules.incoming !== undefined) desired.rules.incoming = rules.text(c.rules.incoming);
    }
    return desired;
  });
  return {
    file: where.absolute,
    shownFile: where.shown,
    digest: where.digest,
    owner: file.owner ?? DEFAULT_OWNER,
    nodes,
    connections,
  };
}

/** Rule paths as the config names them, normalised (for digests and messages). */
export function normalRulePath(file: string): string {
  return path.normalize(file);
}
