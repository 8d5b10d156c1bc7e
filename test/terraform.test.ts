// The exalate Terraform provider with the real Terraform CLI (1.11) and the emulator on loopback:
// init, plan, apply, sensitive codes, drift, import, update, replacement, destroy.
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { providerBlock, requireTerraform, tfWorkspace, type TfWorkspace } from './terraform-helpers';
import { ROOT } from './helpers';
import { partnerReason } from '../provider/model/platforms';

const RESOURCES = `
resource "exalate_connection" "private" {
  name              = "acme-to-partner"
  node              = "acme-freshservice"
  local_short_name  = "acme"
  remote_short_name = "partner"
  mode              = "script"
  private           = true
  description       = "Escalations"
  rules = {
    outgoing = "replica.summary = issue.summary\\n"
  }
  triggers = [{
    entity_type = "ticket"
    query       = "priority:4"
  }]
}

resource "exalate_connection" "accepted" {
  name              = "sd-to-eng"
  node              = "acme-freshservice"
  local_short_name  = "sd"
  remote_short_name = "eng"
  mode              = "script"
  remote_node       = "acme-jira"
  incoming_scope    = "ENG"
}

output "code" {
  value     = exalate_connection.private.invitation_code
  sensitive = true
}
`;

beforeAll(() => {
  expect(requireTerraform()).toMatch(/^1\.\d+\./);
});

let ws: TfWorkspace;
beforeEach(async () => {
  ws = await tfWorkspace();
});
afterEach(async () => {
  await ws.close();
});

function ok(r: { code: number; stdout: string; stderr: string }): void {
  if (r.code !== 0) throw new Error(`terraform exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
}

async function appliedBoth(): Promise<void> {
  ws.write('main.tf', providerBlock() + RESOURCES);
  ok(await ws.tf(['init']));
  ok(await ws.tf(['apply', '-auto-approve']));
}

describe('exalate_connection with the real Terraform', () => {
  test('init, plan, apply; the code is a sensitive output, never printed; a second plan is empty', async () => {
    ws.write('main.tf', providerBlock() + RESOURCES);
    ok(await ws.tf(['init']));
    expect((await ws.tf(['plan', '-detailed-exitcode'])).code).toBe(2);
    const apply = await ws.tf(['apply', '-auto-approve']);
    ok(apply);
    const outputs = JSON.parse((await ws.tf(['output', '-json'])).stdout) as Record<
      string,
      { sensitive: boolean; value: string }
    >;
    expect(outputs.code?.sensitive).toBe(true);
    const code = outputs.code?.value as string;
    expect(code.length).toBeGreaterThan(20);
    expect(apply.stdout + apply.stderr).not.toContain(code);
    expect(apply.stdout + apply.stderr).not.toContain(ws.token);
    expect((await ws.tf(['plan', '-detailed-exitcode'])).code).toBe(0);

    // The one with remote_node ends ACTIVE on both nodes, paired, with its incoming scope.
    const fs = await ws.list('acme-freshservice');
    const jira = await ws.list('acme-jira');
    const initiator = fs.find((c) => c.name === 'sd-to-eng');
    expect(initiator).toMatchObject({ status: 'ACTIVE', role: 'INITIATOR' });
    expect(jira.find((c) => c.name === 'sd-to-eng')).toMatchObject({
      status: 'ACTIVE',
      role: 'ACCEPTOR',
      incomingScope: 'ENG',
      remoteConnectionId: initiator?.id,
    });
    expect(fs.find((c) => c.name === 'acme-to-partner')).toMatchObject({
      status: 'PENDING',
      description: 'Escalations\n\n[exalate-iac owner=tf-team]',
      rules: { outgoing: 'replica.summary = issue.summary\n', incoming: '' },
      triggers: [{ entityType: 'ticket', query: 'priority:4', active: true, notes: '' }],
    });
    const state = JSON.parse((await ws.tf(['show', '-json'])).stdout) as {
      values: {
        root_module: {
          resources: {
            name: string;
            values: Record<string, unknown>;
            sensitive_values: Record<string, unknown>;
          }[];
        };
      };
    };
    const accepted = state.values.root_module.resources.find((r) => r.name === 'accepted');
    expect(accepted?.values).toMatchObject({
      status: 'ACTIVE',
      accepting_status: 'ACTIVE',
      invitation_code: null,
    });
    const priv = state.values.root_module.resources.find((r) => r.name === 'private');
    expect(priv?.sensitive_values).toMatchObject({ invitation_code: true });
  });

  test('a change by hand on the node is drift (plan exit 2); apply repairs it; a connection deleted by hand is created again', async () => {
    await appliedBoth();
    const fs = ws.client('acme-freshservice');
    const c = await fs.findConnectionByName('acme-to-partner');
    await fs.updateConnection(c!.id, { description: 'edited by hand' });
    const plan = await ws.tf(['plan', '-detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('description       = "edited by hand" -> "Escalations"');
    ok(await ws.tf(['apply', '-auto-approve']));
    expect((await ws.tf(['plan', '-detailed-exitcode'])).code).toBe(0);
    await fs.deleteConnection(c!.id);
    const gone = await ws.tf(['plan', '-detailed-exitcode']);
    expect(gone.code).toBe(2);
    expect(gone.stdout).toContain('exalate_connection.private has been deleted');
    ok(await ws.tf(['apply', '-auto-approve']));
    expect((await ws.tf(['plan', '-detailed-exitcode'])).code).toBe(0);
  });

  test('a refresh keeps the pending code while the node reports the same connection, version and invitation; otherwise it is read again', async () => {
    await appliedBoth();
    const codeOf = async () =>
      (JSON.parse((await ws.tf(['output', '-json'])).stdout) as Record<string, { value: string }>).code
        ?.value;
    const first = await codeOf();
    const invitationReads = () =>
      ws.emulator.requests.filter((r) => r.method === 'GET' && /\/connections\/\d+\/invitation$/.test(r.path))
        .length;
    ws.emulator.clearRequests();
    ok(await ws.tf(['apply', '-refresh-only', '-auto-approve']));
    expect(invitationReads()).toBe(0);
    expect(await codeOf()).toBe(first);

    // Another version of the connection (edited by hand): the code is read again, and is the same.
    const fs = ws.client('acme-freshservice');
    const c = await fs.findConnectionByName('acme-to-partner');
    await fs.updateConnection(c!.id, { description: 'edited by hand' });
    ws.emulator.clearRequests();
    ok(await ws.tf(['apply', '-refresh-only', '-auto-approve']));
    expect(invitationReads()).toBe(1);
    expect(await codeOf()).toBe(first);

    const fresh = await fs.regenerateInvitation(c!.id);
    ws.emulator.clearRequests();
    ok(await ws.tf(['apply', '-refresh-only', '-auto-approve']));
    expect(invitationReads()).toBe(1);
    expect(await codeOf()).toBe(fresh.invitationCode);
    expect(fresh.invitationCode).not.toBe(first);
  });

  test('terraform import refuses a Visual connection whose partner is not a declared node, as the CLI import does', async () => {
    ws.write(
      'main.tf',
      providerBlock() +
        'resource "exalate_connection" "v" {\n  name = "to-vendor"\n  node = "acme-jira"\n  local_short_name = "a"\n  remote_short_name = "b"\n  mode = "script"\n  remote_url = "https://vendor.example.com"\n}\n',
    );
    ok(await ws.tf(['init']));
    await ws.client('acme-jira').createConnection({
      name: 'to-vendor',
      description: '',
      localShortName: 'a',
      remoteShortName: 'b',
      configurationType: 'VISUAL',
      communication: { type: 'PUBLIC', remoteUrl: 'https://vendor.example.com' },
    });
    const imported = await ws.tf(['import', 'exalate_connection.v', 'acme-jira/to-vendor']);
    expect(imported.code).toBe(1);
    const reason = partnerReason('visual', 'public', false) as string;
    expect((imported.stdout + imported.stderr).replace(/\s+/g, ' ')).toContain(reason.replace(/\s+/g, ' '));
    expect(JSON.parse((await ws.tf(['show', '-json'])).stdout)).not.toHaveProperty('values');
  });

  test('terraform import by node/name, then the plan is empty', async () => {
    await appliedBoth();
    ok(await ws.tf(['state', 'rm', 'exalate_connection.private', 'exalate_connection.accepted']));
    ok(await ws.tf(['import', 'exalate_connection.private', 'acme-freshservice/acme-to-partner']));
    ok(await ws.tf(['import', 'exalate_connection.accepted', 'acme-freshservice/sd-to-eng']));
    expect((await ws.tf(['plan', '-detailed-exitcode'])).code).toBe(0);
    const bad = await ws.tf(['import', 'exalate_connection.private', 'no-slash']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('the id is <node>/<connection name>');
  });

  test('an import {} block with -generate-config-out writes the configuration; applying it imports', async () => {
    const fs = ws.client('acme-freshservice');
    await fs.createConnection({
      name: 'made-by-hand',
      description: 'clicked together',
      localShortName: 'a',
      remoteShortName: 'b',
      configurationType: 'BASIC',
      communication: { type: 'PRIVATE' },
    });
    ws.write(
      'main.tf',
      providerBlock() +
        '\nimport {\n  to = exalate_connection.by_hand\n  id = "acme-freshservice/made-by-hand"\n}\n',
    );
    ok(await ws.tf(['init']));
    const plan = await ws.tf(['plan', '-generate-config-out=generated.tf']);
    expect(plan.stdout).toContain('will be imported');
    const generated = readFileSync(path.join(ws.dir, 'generated.tf'), 'utf8');
    expect(generated).toContain('resource "exalate_connection" "by_hand"');
    expect(generated).toContain('description       = "clicked together"');
    ok(await ws.tf(['apply', '-auto-approve']));
    expect((await ws.tf(['plan', '-detailed-exitcode'])).code).toBe(0);
  });

  test('an update in place, then a forced replacement, then destroy (both sides of the accepted one)', async () => {
    await appliedBoth();
    const before = (await ws.list('acme-freshservice')).find((c) => c.name === 'sd-to-eng');
    ws.write(
      'main.tf',
      providerBlock() +
        RESOURCES.replace(
          'remote_node       = "acme-jira"',
          'remote_node       = "acme-jira"\n  enabled           = false\n  description       = "paused"',
        ),
    );
    const update = await ws.tf(['plan', '-detailed-exitcode']);
    expect(update.code).toBe(2);
    expect(update.stdout).toContain('1 to change, 0 to destroy');
    ok(await ws.tf(['apply', '-auto-approve']));
    expect((await ws.list('acme-freshservice')).find((c) => c.name === 'sd-to-eng')).toMatchObject({
      id: before?.id,
      status: 'DEACTIVATED',
      description: 'paused\n\n[exalate-iac owner=tf-team]',
    });
    expect((await ws.tf(['plan', '-detailed-exitcode'])).code).toBe(0);

    ws.write(
      'main.tf',
      providerBlock() + RESOURCES.replace('local_short_name  = "sd"', 'local_short_name  = "sd2"'),
    );
    const replace = await ws.tf(['plan', '-detailed-exitcode']);
    expect(replace.code).toBe(2);
    expect(replace.stdout).toContain('# forces replacement');
    ok(await ws.tf(['apply', '-auto-approve']));
    const after = (await ws.list('acme-freshservice')).find((c) => c.name === 'sd-to-eng');
    expect(after?.id).not.toBe(before?.id);
    expect(after).toMatchObject({ localShortName: 'sd2', status: 'ACTIVE' });
    expect((await ws.list('acme-jira')).filter((c) => c.name === 'sd-to-eng')).toHaveLength(1);

    ok(await ws.tf(['destroy', '-auto-approve']));
    expect(await ws.list('acme-freshservice')).toEqual([]);
    expect(await ws.list('acme-jira')).toEqual([]);
  });

  test('protect: destroy is refused by the provider, and prevent_destroy is left to the configuration', async () => {
    ws.write(
      'main.tf',
      providerBlock() +
        RESOURCES.replace(
          'description       = "Escalations"',
          'description       = "Escalations"\n  protect           = true',
        ),
    );
    ok(await ws.tf(['init']));
    ok(await ws.tf(['apply', '-auto-approve']));
    const destroy = await ws.tf(['destroy', '-auto-approve']);
    expect(destroy.code).toBe(1);
    expect(destroy.stderr).toContain('protected');
    expect((await ws.list('acme-freshservice')).map((c) => c.name)).toContain('acme-to-partner');
  });

  test("another owner's connection of the same name is never adopted", async () => {
    const fs = ws.client('acme-freshservice');
    await fs.createConnection({
      name: 'acme-to-partner',
      description: 'theirs\n\n[exalate-iac owner=other-team]',
      localShortName: 'acme',
      remoteShortName: 'partner',
      configurationType: 'SCRIPT',
      communication: { type: 'PRIVATE' },
    });
    ws.write('main.tf', providerBlock() + RESOURCES);
    ok(await ws.tf(['init']));
    const apply = await ws.tf(['apply', '-auto-approve']);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain("owned by 'other-team'");
    expect(
      (await ws.list('acme-freshservice')).find((c) => c.name === 'acme-to-partner')?.description,
    ).toContain('owner=other-team');
  });

  test('platform rules are checked at plan time with validate’s message, pointing at the attribute', async () => {
    ws.write(
      'main.tf',
      providerBlock() +
        RESOURCES.replace(
          'mode              = "script"\n  remote_node',
          'mode              = "visual"\n  remote_node',
        ),
    );
    ok(await ws.tf(['init']));
    const plan = await ws.tf(['plan']);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain("mode 'visual' is not offered on freshservice");
    expect(plan.stderr).toContain('with exalate_connection.accepted');
  });

  test('data sources: one connection by node and name, and every connection of a node', async () => {
    await appliedBoth();
    ws.write(
      'data.tf',
      [
        'data "exalate_connection" "one" {',
        '  node = "acme-freshservice"',
        '  name = "acme-to-partner"',
        '}',
        'data "exalate_connections" "all" {',
        '  node = "acme-jira"',
        '}',
        'output "one" { value = data.exalate_connection.one }',
        'output "names" { value = [for c in data.exalate_connections.all.connections : "${c.name}:${c.role}:${c.mode}:${c.owner}"] }',
      ].join('\n'),
    );
    ok(await ws.tf(['apply', '-auto-approve']));
    const outputs = JSON.parse((await ws.tf(['output', '-json'])).stdout) as Record<
      string,
      { value: unknown }
    >;
    expect(outputs.one?.value).toMatchObject({
      name: 'acme-to-partner',
      mode: 'script',
      private: true,
      description: 'Escalations',
      status: 'PENDING',
      triggers: [{ entity_type: 'ticket', query: 'priority:4', active: true, notes: '' }],
    });
    expect(outputs.names?.value).toEqual(['sd-to-eng:ACCEPTOR:script:tf-team']);
  });
});

describe('a Visual connection between two declared nodes', () => {
  test('is accepted on remote_node without a code: invitation_code stays null, no code is ever asked for', async () => {
    // GIVEN a workspace whose emulator also serves a Zendesk node (Zendesk and Jira offer Visual)
    await ws.close();
    ws = await tfWorkspace({
      nodes: { 'acme-freshservice': 'freshservice', 'acme-jira': 'jira-cloud', 'acme-zendesk': 'zendesk' },
    });
    ws.write(
      'main.tf',
      providerBlock('tf-team', [['acme-zendesk', 'zendesk', 'ZD_URL']]) +
        [
          'resource "exalate_connection" "visual" {',
          '  name              = "support-to-eng"',
          '  node              = "acme-zendesk"',
          '  local_short_name  = "support"',
          '  remote_short_name = "eng"',
          '  mode              = "visual"',
          '  remote_node       = "acme-jira"',
          '  incoming_scope    = "ENG"',
          '}',
        ].join('\n'),
    );
    ok(await ws.tf(['init']));

    // WHEN applied
    ok(await ws.tf(['apply', '-auto-approve']));

    // THEN both sides are ACTIVE and paired, and no node was asked for a code
    const initiator = (await ws.list('acme-zendesk')).find((c) => c.name === 'support-to-eng');
    expect(initiator).toMatchObject({ status: 'ACTIVE', role: 'INITIATOR', configurationType: 'VISUAL' });
    expect((await ws.list('acme-jira')).find((c) => c.name === 'support-to-eng')).toMatchObject({
      status: 'ACTIVE',
      role: 'ACCEPTOR',
      incomingScope: 'ENG',
      remoteConnectionId: initiator?.id,
    });
    const state = JSON.parse((await ws.tf(['show', '-json'])).stdout) as {
      values: { root_module: { resources: { name: string; values: Record<string, unknown> }[] } };
    };
    expect(state.values.root_module.resources.find((r) => r.name === 'visual')?.values).toMatchObject({
      status: 'ACTIVE',
      accepting_status: 'ACTIVE',
      invitation_code: null,
    });
    expect((await ws.tf(['plan', '-detailed-exitcode'])).code).toBe(0);
    expect(ws.emulator.requests.filter((r) => /\/invitations?(\/|$|\?)/.test(r.path))).toEqual([]);
    expect(
      ws.emulator.requests.filter((r) => r.path === '/connection-requests/accept').map((r) => r.status),
    ).toEqual([201]);
  });

  test('to a remote URL it is refused at plan time with validate’s message, pointing at the mode', async () => {
    ws.write(
      'main.tf',
      providerBlock() +
        [
          'resource "exalate_connection" "visual" {',
          '  name              = "to-partner"',
          '  node              = "acme-jira"',
          '  local_short_name  = "a"',
          '  remote_short_name = "b"',
          '  mode              = "visual"',
          '  remote_url        = "https://partner.example.com"',
          '}',
        ].join('\n'),
    );
    ok(await ws.tf(['init']));
    const plan = await ws.tf(['plan']);
    expect(plan.code).toBe(1);
    expect(plan.stderr.replace(/\s+/g, ' ')).toContain(partnerReason('visual', 'public', false));
    expect(plan.stderr).toContain('with exalate_connection.visual');
    expect(plan.stderr).toMatch(/\d+: +mode += "visual"/);
  });
});

describe('examples/terraform', () => {
  test('applies against the emulator as written, and the plan after it is empty', async () => {
    const example = path.join(ROOT, 'examples', 'terraform');
    // The example reads ../rules: keep that layout.
    cpSync(path.join(ROOT, 'examples', 'rules'), path.join(ws.dir, 'rules'), { recursive: true });
    cpSync(example, path.join(ws.dir, 'terraform'), { recursive: true });
    cpSync(path.join(ws.dir, 'terraform.d'), path.join(ws.dir, 'terraform', 'terraform.d'), {
      recursive: true,
    });
    const env = {
      ACME_FRESHSERVICE_URL: ws.emulator.nodeUrl('acme-freshservice'),
      ACME_JIRA_URL: ws.emulator.nodeUrl('acme-jira'),
      ACME_FRESHSERVICE_TOKEN: ws.token,
      ACME_JIRA_TOKEN: ws.token,
    };
    ok(await ws.tf(['init'], env, 'terraform'));
    ok(await ws.tf(['apply', '-auto-approve'], env, 'terraform'));
    expect((await ws.tf(['plan', '-detailed-exitcode'], env, 'terraform')).code).toBe(0);
    const outputs = JSON.parse((await ws.tf(['output', '-json'], env, 'terraform')).stdout) as Record<
      string,
      { value: string }
    >;
    expect(outputs.engineering_status?.value).toBe('ACTIVE / ACTIVE');
    expect(
      (await ws.list('acme-freshservice')).find((c) => c.name === 'acme-to-partner-hcl')?.rules?.outgoing,
    ).toBe(readFileSync(path.join(ROOT, 'examples', 'rules', 'outgoing.groovy'), 'utf8'));
  });
});

describe('the provider binary', () => {
  test('run by hand (no magic cookie) it says what it is on stderr, nothing on stdout, exit 1', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'terraform-provider-exalate.js')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('the exalate Terraform provider');
  });

  test('provider install is idempotent and lays out the mirror Terraform expects', async () => {
    const bin = path.join(ROOT, 'bin', 'exalate-iac.js');
    const again = spawnSync(process.execPath, [bin, 'provider', 'install', '--format', 'json'], {
      cwd: ws.dir,
      encoding: 'utf8',
    });
    const result = JSON.parse(again.stdout) as { changed: boolean; file: string; source: string };
    expect(result).toMatchObject({ changed: false, source: 'exalate-iac.local/exalate/exalate' });
    expect(path.relative(ws.dir, result.file)).toMatch(
      /^terraform\.d\/plugins\/exalate-iac\.local\/exalate\/exalate\/\d+\.\d+\.\d+\/linux_(amd64|arm64)\/terraform-provider-exalate_v\d+\.\d+\.\d+$/,
    );
    rmSync(path.join(ws.dir, 'terraform.d'), { recursive: true });
    ws.write('main.tf', providerBlock());
    const init = await ws.tf(['init']);
    expect(init.code).toBe(1);
    expect(init.stderr).toContain('exalate-iac.local/exalate/exalate');
  });
});
