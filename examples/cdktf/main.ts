// A CDKTF app with two stacks that manage different connections on the same nodes: the example
// YAML file, and connections written construct by construct.
//   CDKTF_OUTDIR=cdktf.out npx tsx examples/cdktf/main.ts   (or `cdktf synth` with ../../cdktf.json)
import * as path from 'node:path';
import { App, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { ExalateConnection, ExalateConnectionsFromYaml, ExalateProvider } from '../../constructs';

/** The example YAML file as a stack. */
export class ConnectionsFromYamlStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new ExalateConnectionsFromYaml(this, 'connections', {
      file: path.join(__dirname, '..', 'connections.exalate.yaml'),
    });
  }
}

/**
 * Connections written in TypeScript, with an owner of their own (so neither stack ever touches
 * the other's connections): a private Script connection like the Freshservice guide's, waiting
 * for a partner (its code is a sensitive output), and one accepted on the other node in the same
 * deploy.
 */
export class TypeScriptConnectionsStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const provider = new ExalateProvider(this, 'exalate', {
      owner: 'platform-team-cdktf',
      nodes: {
        'acme-freshservice': {
          url: '${ACME_FRESHSERVICE_URL}',
          platform: 'freshservice',
          tokenEnv: 'ACME_FRESHSERVICE_TOKEN',
        },
        'acme-jira': { url: '${ACME_JIRA_URL}', platform: 'jira-cloud', tokenEnv: 'ACME_JIRA_TOKEN' },
      },
    });
    const connection = new ExalateConnection(this, 'to-supplier', {
      provider,
      name: 'acme-to-supplier',
      node: 'acme-freshservice',
      localShortName: 'acme',
      remoteShortName: 'supplier',
      mode: 'script',
      private: true,
      description: "Escalated tickets to the supplier's service desk",
      triggers: [{ entityType: 'ticket', query: 'priority:4', notes: 'urgent tickets only' }],
    });
    connection.addInvitationOutput();
    new ExalateConnection(this, 'changes-to-jira', {
      provider,
      name: 'changes-to-jira',
      node: 'acme-freshservice',
      localShortName: 'changes',
      remoteShortName: 'platform',
      mode: 'script',
      remote: { node: 'acme-jira' },
      incomingScope: 'PLAT',
      description: 'Change requests that need the platform team',
    });
  }
}

if (require.main === module) {
  const app = new App();
  new ConnectionsFromYamlStack(app, 'connections-from-yaml');
  new TypeScriptConnectionsStack(app, 'typescript-connections');
  app.synth();
}
