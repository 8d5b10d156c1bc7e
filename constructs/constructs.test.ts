import 'cdktf/lib/testing/adapters/jest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TerraformOutput, TerraformStack, Testing } from './cdktf';
import { ExalateConnection, ExalateConnectionsFromYaml, ExalateProvider } from './index';
import { literal } from './provider';
import { partnerReason } from '../provider/model/platforms';
import { ROOT, tempDir } from '../test/helpers';
import { ConnectionsFromYamlStack, TypeScriptConnectionsStack } from '../examples/cdktf/main';

Testing.setupJest();

// Testing.app() makes a cdktf.outdir.* folder in the system temp dir and never removes it: give
// each app a folder of ours, removed after each test.
const outdirs: (() => void)[] = [];
function testApp() {
  const { dir, cleanup } = tempDir('exalate-cdktf-');
  outdirs.push(cleanup);
  return Testing.app({ outdir: dir });
}
afterEach(() => {
  for (const cleanup of outdirs.splice(0)) cleanup();
});

function stackWithProvider() {
  const app = testApp();
  const stack = new TerraformStack(app, 'test');
  const provider = new ExalateProvider(stack, 'exalate', {
    nodes: {
      'acme-freshservice': { url: '${ACME_FS_URL}', platform: 'freshservice', tokenEnv: 'ACME_FS_TOKEN' },
      'acme-jira': { url: 'https://jira.example.com', platform: 'jira-cloud', tokenEnv: 'ACME_JIRA_TOKEN' },
    },
  });
  return { stack, provider };
}

describe('ExalateConnection', () => {
  test('synthesizes an exalate_connection with the YAML field names in snake case', () => {
    // GIVEN
    const { stack, provider } = stackWithProvider();
    // WHEN
    new ExalateConnection(stack, 'c', {
      provider,
      name: 'acme-to-partner-jira',
      node: 'acme-freshservice',
      localShortName: 'acme',
      remoteShortName: 'partner',
      mode: 'script',
      private: true,
      rules: { outgoing: 'replica.summary = "${issue.summary}"\n' },
      triggers: [{ entityType: 'ticket', query: 'priority:4' }],
    });
    // THEN
    const synth = Testing.synth(stack, true);
    expect(synth).toHaveResourceWithProperties(ExalateConnection, {
      name: 'acme-to-partner-jira',
      node: 'acme-freshservice',
      local_short_name: 'acme',
      remote_short_name: 'partner',
      mode: 'script',
      private: true,
      enabled: true,
      protect: false,
      description: '',
      // Template syntax is escaped, so the provider receives the script as written.
      rules: { outgoing: 'replica.summary = "$${issue.summary}"\n' },
      triggers: [{ entity_type: 'ticket', query: 'priority:4', active: true, notes: '' }],
    });
    expect(synth).toHaveProviderWithProperties(ExalateProvider, {
      node: [
        {
          name: 'acme-freshservice',
          url: '$${ACME_FS_URL}',
          platform: 'freshservice',
          token_env: 'ACME_FS_TOKEN',
        },
        {
          name: 'acme-jira',
          url: 'https://jira.example.com',
          platform: 'jira-cloud',
          token_env: 'ACME_JIRA_TOKEN',
        },
      ],
    });
  });

  test('protect sets prevent_destroy; the invitation output is sensitive and named like the CLI’s', () => {
    const { stack, provider } = stackWithProvider();
    const c = new ExalateConnection(stack, 'c', {
      provider,
      name: 'jira-to-vendor',
      node: 'acme-jira',
      localShortName: 'acme',
      remoteShortName: 'vendor',
      mode: 'basic',
      remote: { url: 'https://vendor.example.com' },
      protect: true,
    });
    c.addInvitationOutput();
    const json = JSON.parse(Testing.synth(stack, true));
    expect(json.resource.exalate_connection.c.lifecycle).toEqual({ prevent_destroy: true });
    expect(json.output.invitation_code_acme_jira_jira_to_vendor).toEqual({
      description: 'Invitation code of acme-jira/jira-to-vendor, for the partner to accept',
      sensitive: true,
      value: '${exalate_connection.c.invitation_code}',
    });
  });

  test('local invariants throw at once, naming the props', () => {
    const { stack, provider } = stackWithProvider();
    const base = {
      provider,
      name: 'x',
      node: 'acme-jira',
      localShortName: 'a',
      remoteShortName: 'b',
    } as const;
    expect(() => new ExalateConnection(stack, 'p', { ...base, mode: 'script' })).toThrow(
      "ExalateConnection 'p': a public connection needs props.remote (url or node); set private: true otherwise",
    );
    expect(
      () =>
        new ExalateConnection(stack, 'r', {
          ...base,
          mode: 'basic',
          private: true,
          rules: { outgoing: 'x' },
        }),
    ).toThrow(
      "ExalateConnection 'r': sync rules cannot be edited in mode 'basic': props.rules is for mode 'script'",
    );
    expect(
      () => new ExalateConnection(stack, 'e', { ...base, localShortName: ' ', mode: 'basic', private: true }),
    ).toThrow("ExalateConnection 'e': props.localShortName must not be empty");
  });

  test('platform rules are checked at synth time against the provider’s nodes', () => {
    const { stack, provider } = stackWithProvider();
    new ExalateConnection(stack, 'v', {
      provider,
      name: 'x',
      node: 'acme-freshservice',
      localShortName: 'a',
      remoteShortName: 'b',
      mode: 'visual',
      private: true,
    });
    new ExalateConnection(stack, 'n', {
      provider,
      name: 'y',
      node: 'nowhere',
      localShortName: 'a',
      remoteShortName: 'b',
      mode: 'basic',
      private: true,
    });
    expect(() => Testing.synth(stack, true)).toThrow(
      /mode 'visual' is not offered on freshservice[\s\S]*node 'nowhere' is not declared on the provider/,
    );
  });

  test('a Visual connection has no invitation code: synth refuses one to a remote URL, not one on a declared node', () => {
    // GIVEN
    const { stack, provider } = stackWithProvider();
    const visual = {
      provider,
      node: 'acme-jira',
      localShortName: 'a',
      remoteShortName: 'b',
      mode: 'visual',
    } as const;
    // WHEN
    new ExalateConnection(stack, 'url', {
      ...visual,
      name: 'u',
      remote: { url: 'https://partner.example.com' },
    });
    // THEN
    expect(() => Testing.synth(stack, true)).toThrow(partnerReason('visual', 'public', false));

    const ok = stackWithProvider();
    new ExalateConnection(ok.stack, 'local', {
      ...visual,
      provider: ok.provider,
      name: 'l',
      remote: { node: 'acme-jira' },
    });
    expect(() => Testing.synth(ok.stack, true)).not.toThrow();
  });

  test('a literal token instead of a variable name is refused', () => {
    const app = testApp();
    const stack = new TerraformStack(app, 's');
    expect(
      () =>
        new ExalateProvider(stack, 'p', {
          nodes: { n: { url: 'https://x', platform: 'github', tokenEnv: 'ghp_abc-123 secret' } },
        }),
    ).toThrow(
      /tokenEnv must be an environment variable name, got a value that is not \(a literal token\?\)$/,
    );
  });

  test('brand checks work without instanceof', () => {
    const { stack, provider } = stackWithProvider();
    const c = new ExalateConnection(stack, 'c', {
      provider,
      name: 'x',
      node: 'acme-jira',
      localShortName: 'a',
      remoteShortName: 'b',
      mode: 'basic',
      private: true,
    });
    expect(ExalateConnection.isExalateConnection(c)).toBe(true);
    expect(ExalateConnection.isExalateConnection(provider)).toBe(false);
    expect(ExalateProvider.isExalateProvider(provider)).toBe(true);
  });
});

describe('ExalateConnectionsFromYaml', () => {
  test('the example file becomes a provider, three connections and two sensitive outputs', () => {
    const app = testApp();
    const stack = new ConnectionsFromYamlStack(app, 'yaml');
    const json = JSON.parse(Testing.synth(stack, true));
    const resources = Object.values(json.resource.exalate_connection) as Array<Record<string, unknown>>;
    expect(resources.map((r) => `${r.node}/${r.name}`).sort()).toEqual([
      'acme-freshservice/acme-to-partner-jira',
      'acme-freshservice/service-desk-to-engineering',
      'acme-jira/jira-to-vendor',
    ]);
    expect(Object.keys(json.output).sort()).toEqual([
      'invitation_code_acme_freshservice_acme_to_partner_jira',
      'invitation_code_acme_jira_jira_to_vendor',
    ]);
    const accepted = resources.find((r) => r.name === 'service-desk-to-engineering');
    expect(accepted).toMatchObject({ remote_node: 'acme-jira', incoming_scope: 'ENG', private: false });
    expect(resources.find((r) => r.name === 'acme-to-partner-jira')?.rules).toEqual({
      outgoing: readFileSync(path.join(ROOT, 'examples', 'rules', 'outgoing.groovy'), 'utf8'),
      incoming: readFileSync(path.join(ROOT, 'examples', 'rules', 'incoming.groovy'), 'utf8'),
    });
  });

  test('an invalid file fails synthesis with every finding, as validate prints them', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'bad.exalate.yaml');
      writeFileSync(
        file,
        'version: 1\nnodes:\n  fs: {url: "https://x", platform: freshservice, token: literal}\nconnections: []\n',
      );
      const app = testApp();
      const stack = new TerraformStack(app, 's');
      expect(() => new ExalateConnectionsFromYaml(stack, 'c', { file })).toThrow(
        /is not valid:\n.*bad\.exalate\.yaml:3:57: error: a literal token is not allowed/,
      );
    } finally {
      cleanup();
    }
  });
});

describe('examples/cdktf (the app cdktf.json runs)', () => {
  test('each example stack matches its snapshot', () => {
    const app = testApp();
    // Parsed: cdktf and cdktn print the same JSON with different white space.
    expect(
      JSON.parse(Testing.synth(new TypeScriptConnectionsStack(app, 'typescript'), true)),
    ).toMatchSnapshot();
    expect(JSON.parse(Testing.synth(new ConnectionsFromYamlStack(app, 'from-yaml'), true))).toMatchSnapshot();
  });

  test('the app synthesizes both stacks to cdk.tf.json', () => {
    const { dir, cleanup } = tempDir();
    try {
      mkdirSync(path.join(dir, 'out'));
      const config = JSON.parse(readFileSync(path.join(ROOT, 'cdktf.json'), 'utf8'));
      expect(config.app).toBe('npx tsx examples/cdktf/main.ts');
      const r = spawnSync(
        process.execPath,
        [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'examples/cdktf/main.ts'],
        {
          cwd: ROOT,
          encoding: 'utf8',
          env: { PATH: process.env.PATH, CDKTF_OUTDIR: path.join(dir, 'out'), CHECKPOINT_DISABLE: '1' },
        },
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const version = (
        JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
      ).version;
      const names: string[] = [];
      for (const stack of ['connections-from-yaml', 'typescript-connections']) {
        const json = JSON.parse(readFileSync(path.join(dir, 'out', 'stacks', stack, 'cdk.tf.json'), 'utf8'));
        names.push(
          ...Object.values(
            json.resource.exalate_connection as Record<string, { node: string; name: string }>,
          ).map((r) => `${r.node}/${r.name}`),
        );
        // The provider is laid out as the stack folder's implied local mirror: nothing to install.
        expect(json.terraform.required_providers.exalate).toEqual({
          source: 'exalate-iac.local/exalate/exalate',
          version,
        });
        const mirror = path.join(
          dir,
          'out',
          'stacks',
          stack,
          'terraform.d',
          'plugins',
          'exalate-iac.local',
          'exalate',
          'exalate',
          version,
        );
        expect(readdirSync(mirror).length).toBe(1);
      }
      // The two stacks never declare the same connection.
      expect(new Set(names).size).toBe(names.length);
    } finally {
      cleanup();
    }
  });
});

describe('escaping for Terraform (checked with the real terraform CLI)', () => {
  test('${…}, %{…} and $${…} reach Terraform as written', () => {
    const text = 'url ${ACME_URL}, a directive %{ if x }y%{ endif }, already escaped $${keep}\n';
    const app = testApp();
    const stack = new TerraformStack(app, 'escape');
    new TerraformOutput(stack, 'o', { value: literal(text) });
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(path.join(dir, 'main.tf.json'), Testing.synth(stack));
      writeFileSync(path.join(dir, 'cli.tfrc'), '');
      const env = {
        PATH: process.env.PATH,
        TF_CLI_CONFIG_FILE: path.join(dir, 'cli.tfrc'),
        CHECKPOINT_DISABLE: '1',
        TF_IN_AUTOMATION: '1',
      };
      const tf = (...args: string[]) => spawnSync('terraform', args, { cwd: dir, env, encoding: 'utf8' });
      expect(tf('init', '-input=false').status).toBe(0);
      expect(tf('apply', '-auto-approve', '-input=false').status).toBe(0);
      const out = tf('output', '-json', 'o');
      expect(out.status).toBe(0);
      expect(JSON.parse(out.stdout)).toBe(text);
    } finally {
      cleanup();
    }
  });
});

describe('ExalateConnectionsFromYaml ids', () => {
  test('connection names that sanitise alike still get a resource each', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'c.exalate.yaml');
      writeFileSync(
        file,
        'version: 1\nnodes:\n  fs: {url: "https://x.example.com", platform: freshservice, token: "${T}"}\nconnections:\n' +
          '  - {name: "a b", node: fs, localShortName: x, remoteShortName: y, mode: script, private: true}\n' +
          '  - {name: "a_b", node: fs, localShortName: x, remoteShortName: y, mode: script, private: true}\n',
      );
      const app = testApp();
      const stack = new TerraformStack(app, 's');
      new ExalateConnectionsFromYaml(stack, 'c', { file });
      const json = JSON.parse(Testing.synth(stack, true));
      const names = Object.values(json.resource.exalate_connection as Record<string, { name: string }>).map(
        (r) => r.name,
      );
      expect(names.sort()).toEqual(['a b', 'a_b']);
      expect(Object.keys(json.output).sort()).toEqual(['invitation_code_fs_a_b', 'invitation_code_fs_a_b_2']);
    } finally {
      cleanup();
    }
  });
});
