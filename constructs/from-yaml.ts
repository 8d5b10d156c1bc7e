import { Construct } from 'constructs';
import { formatFinding } from '../provider/config/findings';
import { loadConfigSync } from '../provider/config/load';
import { ExalateConnection } from './connection';
import { ExalateProvider } from './provider';

export interface ExalateConnectionsFromYamlProps {
  /** A connections file (`*.exalate.yaml`), format version 1. */
  readonly file: string;
  /**
   * Add a sensitive output with the invitation code of every connection that waits for a partner
   * this file does not manage (private, or public to a URL).
   * @default true
   */
  readonly invitationOutputs?: boolean;
}

/**
 * A connections file as constructs: one `exalate` provider with the file's nodes and one
 * `ExalateConnection` per declared connection. The file is validated exactly as
 * `exalate-iac validate` does; any problem fails synthesis with every finding listed.
 */
export class ExalateConnectionsFromYaml extends Construct {
  readonly provider: ExalateProvider;
  /** By `node/name`. */
  readonly connections: ReadonlyMap<string, ExalateConnection>;

  constructor(scope: Construct, id: string, props: ExalateConnectionsFromYamlProps) {
    super(scope, id);
    const loaded = loadConfigSync(props.file, { cwd: process.cwd() });
    if (!loaded.state) {
      throw new Error(
        `ExalateConnectionsFromYaml '${id}': ${props.file} is not valid:\n${loaded.findings.map(formatFinding).join('\n')}`,
      );
    }
    const state = loaded.state;
    this.provider = new ExalateProvider(this, 'exalate', {
      owner: state.owner,
      nodes: Object.fromEntries(
        [...state.nodes.values()].map((n) => [
          n.name,
          {
            url: n.url,
            platform: n.platform,
            tokenEnv: n.tokenEnv,
            ...(n.userEnv !== undefined ? { userEnv: n.userEnv } : {}),
            ...(n.rateLimit !== undefined ? { rateLimit: n.rateLimit } : {}),
          },
        ]),
      ),
    });
    const connections = new Map<string, ExalateConnection>();
    for (const c of state.connections) {
      // Names that sanitise alike ("a b", "a_b") get a numbered id each.
      const base = `${c.node}_${c.name}`.replace(/[^A-Za-z0-9_-]/g, '_');
      let id = base;
      for (let n = 2; this.node.tryFindChild(id); n++) id = `${base}_${n}`;
      const resource = new ExalateConnection(this, id, {
        provider: this.provider,
        name: c.name,
        node: c.node,
        localShortName: c.localShortName,
        remoteShortName: c.remoteShortName,
        mode: c.mode,
        private: c.private,
        description: c.description,
        ...(c.remote ? { remote: c.remote } : {}),
        ...(c.incomingScope !== undefined ? { incomingScope: c.incomingScope } : {}),
        enabled: c.enabled,
        protect: c.protect,
        ...(c.rules ? { rules: c.rules } : {}),
        triggers: c.triggers,
      });
      const waitsForPartner = c.type !== 'local' && c.remote?.node === undefined;
      if ((props.invitationOutputs ?? true) && waitsForPartner) resource.addInvitationOutput();
      connections.set(`${c.node}/${c.name}`, resource);
    }
    this.connections = connections;
  }
}
