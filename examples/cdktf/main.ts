// A CDKTF app declaring the example connections: once from the YAML file, or construct by construct.
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

/** The seed's private Script connection from Freshservice, written in TypeScript. */
export class PrivateConnectionStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const provider = new ExalateProvider(this, 'exalate', {
      nodes: {
        'acme-freshservice': {
          url: '${ACME_FRESHSERVICE_URL}',
          platform: 'freshservice',
          tokenEnv: 'ACME_FRESHSERVICE_TOKEN',
        },
      },
    });
    const connection = new ExalateConnection(this, 'to-partner', {
      provider,
      name: 'acme-to-partner-jira',
      node: 'acme-freshservice',
      localShortName: 'acme',
      remoteShortName: 'partner',
      mode: 'script',
      private: true,
      description: "Escalated tickets to the partner's Jira",
      triggers: [{ entityType: 'ticket', query: 'priority:4', notes: 'urgent tickets only' }],
    });
    connection.addInvitationOutput();
  }
}

if (require.main === module) {
  const app = new App();
  new ConnectionsFromYamlStack(app, 'connections-from-yaml');
  new PrivateConnectionStack(app, 'private-connection');
  app.synth();
}
