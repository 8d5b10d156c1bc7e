// The reconciler against the real emulator: every action kind, drift, import and two-party steps.
// Each test has its own workspace (emulator, files) and asserts decisions through JSON.
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { actions, changedFields, outputs, planJson, workspace, type Workspace } from './reconcile-helpers';

const FILE = ['--file', 'connections.exalate.yaml'];

/** Every secret a workspace knows: the token and the invitation codes in its outputs file. */
function secrets(ws: Workspace): string[] {
  const file = path.join(ws.dir, '.exalate/outputs.json');
  const codes = existsSync(file)
    ? Object.values(outputs(ws))
        .map((i) => i.code)
        .filter((c): c is string => typeof c === 'string')
    : [];
  return [ws.token, ...codes];
}

function expectNoSecrets(text: string, known: string[]): void {
  for (const s of known) expect(text).not.toContain(s);
}

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(async () => {
  await ws.close();
});

async function applied(): Promise<void> {
  const r = await ws.cli(['apply', ...FILE, '--yes']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

describe('plan and apply', () => {
  test('the example: create, accept automatically, pending codes in a 0600 outputs file, then nothing to do', async () => {
    const plan = await planJson(ws, ['--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(actions(plan.json)).toEqual([
      'acme-freshservice/acme-to-partner-jira create',
      'acme-freshservice/service-desk-to-engineering create',
      'acme-jira/jira-to-vendor create',
    ]);
    expect(plan.json.actions.find((a) => a.connection === 'service-desk-to-engineering')?.accept_on).toBe(
      'acme-jira',
    );
    expect(plan.json.summary).toMatchObject({ add: 3, change: 0, destroy: 0 });
    // New declarations are not drift.
    expect(plan.json.drift).toBe(false);

    const apply = await ws.cli(['apply', ...FILE, '--yes']);
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);

    const outputsFile = path.join(ws.dir, '.exalate', 'outputs.json');
    expect(statSync(outputsFile).mode & 0o777).toBe(0o600);
    const out = outputs(ws);
    expect(out['acme-freshservice/acme-to-partner-jira']).toMatchObject({
      status: 'pending',
      code: expect.any(String),
    });
    expect(out['acme-jira/jira-to-vendor']).toMatchObject({ status: 'pending', code: expect.any(String) });
    expect(out['acme-freshservice/service-desk-to-engineering']).toMatchObject({
      status: 'accepted',
      accepted_on: 'acme-jira',
    });
    expect(out['acme-freshservice/service-desk-to-engineering']?.code).toBeUndefined();
    expectNoSecrets(apply.stdout + apply.stderr, secrets(ws));

    const fs = await ws.list('acme-freshservice');
    const jira = await ws.list('acme-jira');
    expect(fs.map((c) => [c.name, c.status]).sort()).toEqual([
      ['acme-to-partner-jira', 'PENDING'],
      ['service-desk-to-engineering', 'ACTIVE'],
    ]);
    expect(jira.map((c) => [c.name, c.status, c.role, c.incomingScope]).sort()).toEqual([
      ['jira-to-vendor', 'PENDING', 'INITIATOR', undefined],
      ['service-desk-to-engineering', 'ACTIVE', 'ACCEPTOR', 'ENG'],
    ]);
    const private1 = fs.find((c) => c.name === 'acme-to-partner-jira');
    expect(private1?.rules?.outgoing).toBe(
      readFileSync(path.join(ws.dir, 'rules', 'outgoing.groovy'), 'utf8'),
    );
    expect(private1?.triggers).toEqual([
      { entityType: 'ticket', query: 'priority:4', active: true, notes: 'urgent tickets only' },
    ]);

    const again = await planJson(ws, ['--detailed-exitcode']);
    expect(again.code).toBe(0);
    expect(again.json.summary).toMatchObject({ add: 0, change: 0, destroy: 0, pending: 2 });
    expect((await ws.cli(['drift', ...FILE])).code).toBe(0);
  });

  test('a create is one request per connection: rules and triggers go with it, nothing is read back', async () => {
    ws.emulator.clearRequests();
    await applied();
    const writes = ws.emulator.requests.filter((r) => r.method !== 'GET' && r.path !== '/authenticate');
    expect(writes.map((r) => `${r.node} ${r.method} ${r.path}`).sort()).toEqual([
      'acme-freshservice POST /connections',
      'acme-freshservice POST /connections',
      'acme-jira POST /connections',
      'acme-jira POST /invitations/accept',
    ]);
    const reads = ws.emulator.requests.filter(
      (r) => r.method === 'GET' && !r.path.startsWith('/connections?'),
    );
    expect(reads).toEqual([]);
  });

  test('a lost outputs file is rebuilt by the next apply, codes and acceptances alike', async () => {
    await applied();
    writeFileSync(path.join(ws.dir, '.exalate/outputs.json'), '{"format_version":"1","invitations":{}}');
    await applied();
    expect(Object.keys(outputs(ws)).sort()).toEqual([
      'acme-freshservice/acme-to-partner-jira',
      'acme-freshservice/service-desk-to-engineering',
      'acme-jira/jira-to-vendor',
    ]);
  });

  test('update in place: description, enabled, rules and triggers; then the plan is empty', async () => {
    await applied();
    ws.edit((t) =>
      t
        .replace(
          'description: Incidents that need engineering, both ways',
          'description: Engineering escalations',
        )
        .replace("query: 'tag:engineering'", "query: 'tag:eng'\n        active: false")
        .replace('    incomingScope: ENG\n', '    incomingScope: ENG\n    enabled: false\n'),
    );
    writeFileSync(path.join(ws.dir, 'rules', 'incoming.groovy'), 'issue.summary = replica.summary\n');
    const plan = await planJson(ws);
    expect(actions(plan.json)).toEqual([
      'acme-freshservice/acme-to-partner-jira update',
      'acme-freshservice/service-desk-to-engineering update',
    ]);
    expect(changedFields(plan.json, 'service-desk-to-engineering')).toEqual([
      'description',
      'enabled',
      'rules.incoming',
      'triggers',
    ]);
    expect(plan.json.actions.find((a) => a.connection === 'service-desk-to-engineering')?.changes[0]).toEqual(
      {
        field: 'description',
        before: 'Incidents that need engineering, both ways',
        after: 'Engineering escalations',
        forces_replacement: false,
      },
    );
    expect(changedFields(plan.json, 'acme-to-partner-jira')).toEqual(['rules.incoming']);
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
    const live = (await ws.list('acme-freshservice')).find((c) => c.name === 'service-desk-to-engineering');
    expect(live?.status).toBe('DEACTIVATED');
    expect(live?.description).toBe('Engineering escalations\n\n[exalate-iac owner=platform-team]');
    expect(live?.rules?.incoming).toBe('issue.summary = replica.summary\n');
    expect(live?.triggers).toEqual([{ entityType: 'ticket', query: 'tag:eng', active: false, notes: '' }]);
    expect((await planJson(ws, ['--detailed-exitcode'])).code).toBe(0);
  });

  test('incomingScope changed after acceptance: drift, forces replacement, converges with --allow-replace', async () => {
    await applied();
    ws.edit((t) => t.replace('incomingScope: ENG', 'incomingScope: OPS'));
    const plan = await planJson(ws, ['--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(plan.json.actions.find((a) => a.connection === 'service-desk-to-engineering')).toMatchObject({
      action: 'replace',
      drift: true,
      changes: [{ field: 'incomingScope', before: 'ENG', after: 'OPS', forces_replacement: true }],
    });
    const drift = JSON.parse((await ws.cli(['drift', ...FILE, '--format', 'json'])).stdout);
    expect(drift.drifted.map((d: { fields: { field: string }[] }) => d.fields.map((f) => f.field))).toEqual([
      ['incomingScope'],
    ]);
    expect((await ws.cli(['apply', ...FILE, '--yes', '--allow-replace'])).code).toBe(0);
    const jira = await ws.list('acme-jira');
    expect(jira.filter((c) => c.name === 'service-desk-to-engineering').map((c) => c.incomingScope)).toEqual([
      'OPS',
    ]);
    expect((await planJson(ws, ['--detailed-exitcode'])).code).toBe(0);
  });

  test('replace: blocked without --allow-replace (apply fails), done with it', async () => {
    await applied();
    const before = (await ws.list('acme-freshservice')).find((c) => c.name === 'acme-to-partner-jira');
    ws.edit((t) =>
      t.replace(
        'localShortName: acme\n    remoteShortName: partner',
        'localShortName: acme-it\n    remoteShortName: partner',
      ),
    );
    const plan = await planJson(ws);
    const replace = plan.json.actions.find((a) => a.connection === 'acme-to-partner-jira');
    expect(replace).toMatchObject({
      action: 'replace',
      blocked: expect.stringContaining('--allow-replace'),
      changes: [{ field: 'localShortName', before: 'acme', after: 'acme-it', forces_replacement: true }],
    });
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(1);
    expect((await ws.list('acme-freshservice')).find((c) => c.name === 'acme-to-partner-jira')?.id).toBe(
      before?.id,
    );
    expect((await ws.cli(['apply', ...FILE, '--yes', '--allow-replace'])).code).toBe(0);
    const after = (await ws.list('acme-freshservice')).find((c) => c.name === 'acme-to-partner-jira');
    expect(after?.id).not.toBe(before?.id);
    expect(after?.localShortName).toBe('acme-it');
    expect((await planJson(ws, ['--detailed-exitcode'])).code).toBe(0);
  });

  test('prune deletes what this owner created and no longer declares, never protected or foreign ones', async () => {
    await applied();
    await ws.client('acme-freshservice').createConnection({
      name: 'made-by-hand',
      description: 'clicked together',
      localShortName: 'a',
      remoteShortName: 'b',
      configurationType: 'SCRIPT',
      communication: { type: 'PRIVATE' },
    });
    // Remove two connections from the file: one plain, one protected (jira-to-vendor).
    ws.edit((t) => t.slice(0, t.indexOf('  # Both nodes are declared')));
    const noPrune = await planJson(ws, ['--detailed-exitcode']);
    expect(noPrune.code).toBe(0);
    expect(noPrune.json.drift).toBe(true);
    expect(actions(noPrune.json)).toEqual([
      'acme-freshservice/service-desk-to-engineering no-op',
      'acme-jira/jira-to-vendor no-op',
    ]);
    expect(noPrune.json.unmanaged['acme-freshservice']).toEqual(['made-by-hand']);

    const plan = await planJson(ws, ['--prune']);
    expect(actions(plan.json)).toEqual([
      'acme-freshservice/service-desk-to-engineering delete',
      'acme-jira/jira-to-vendor delete (blocked)',
    ]);
    expect((await ws.cli(['apply', ...FILE, '--yes', '--prune'])).code).toBe(1);
    expect((await ws.list('acme-freshservice')).map((c) => c.name).sort()).toEqual([
      'acme-to-partner-jira',
      'made-by-hand',
    ]);
    // The accepting side on acme-jira went with it; the protected one stays.
    expect((await ws.list('acme-jira')).map((c) => c.name)).toEqual(['jira-to-vendor']);
  });
});

describe('drift', () => {
  test('in sync: exit 0; pending acceptance is not drift', async () => {
    await applied();
    const r = await ws.cli(['drift', ...FILE, '--format', 'json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ format_version: '1', drift: false, drifted: [] });
    expect(json.pending.map((p: { connection: string }) => p.connection).sort()).toEqual([
      'acme-to-partner-jira',
      'jira-to-vendor',
    ]);
  });

  test('deactivated and edited by hand: exit 2 with a per-field report in every format', async () => {
    await applied();
    const client = ws.client('acme-freshservice');
    const c = await client.findConnectionByName('service-desk-to-engineering');
    const deactivated = await client.updateConnection(c!.id, { status: 'DEACTIVATED' });
    await client.putTriggers(
      c!.id,
      [{ entityType: 'ticket', query: 'tag:all', active: true, notes: '' }],
      deactivated.version,
    );
    const json = await ws.cli(['drift', ...FILE, '--format', 'json']);
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout);
    expect(report.drifted).toEqual([
      {
        node: 'acme-freshservice',
        connection: 'service-desk-to-engineering',
        kind: 'changed',
        reason: expect.any(String),
        fields: [
          { field: 'enabled', expected: true, actual: false },
          {
            field: 'triggers',
            expected: [{ entityType: 'ticket', query: 'tag:engineering', active: true, notes: '' }],
            actual: [{ entityType: 'ticket', query: 'tag:all', active: true, notes: '' }],
          },
        ],
      },
    ]);
    expect((await ws.cli(['drift', ...FILE])).code).toBe(2);
    expect((await ws.cli(['drift', ...FILE, '--format', 'markdown'])).code).toBe(2);
    // apply repairs it
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
    expect((await ws.cli(['drift', ...FILE])).code).toBe(0);
  });

  test('deleted by hand: exit 2 (missing); apply recreates it', async () => {
    await applied();
    const client = ws.client('acme-freshservice');
    const c = await client.findConnectionByName('acme-to-partner-jira');
    await client.deleteConnection(c!.id);
    const r = await ws.cli(['drift', ...FILE, '--format', 'json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).drifted).toMatchObject([
      { connection: 'acme-to-partner-jira', kind: 'missing' },
    ]);
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
    expect((await ws.cli(['drift', ...FILE])).code).toBe(0);
  });

  test('renamed by hand: the declared name is missing and the new one undeclared', async () => {
    await applied();
    const client = ws.client('acme-freshservice');
    const old = await client.findConnectionByName('acme-to-partner-jira');
    await client.deleteConnection(old!.id);
    await client.createConnection({
      name: 'acme-to-partner',
      description: old!.description!,
      localShortName: old!.localShortName!,
      remoteShortName: old!.remoteShortName!,
      configurationType: old!.configurationType!,
      communication: old!.communication,
    });
    const r = await ws.cli(['drift', ...FILE, '--format', 'json']);
    expect(r.code).toBe(2);
    expect(
      JSON.parse(r.stdout)
        .drifted.map((d: { connection: string; kind: string }) => `${d.connection} ${d.kind}`)
        .sort(),
    ).toEqual(['acme-to-partner undeclared', 'acme-to-partner-jira missing']);
  });

  test('the accepting side deleted by hand is drift, and a replace repairs it', async () => {
    await applied();
    const jira = ws.client('acme-jira');
    const side = await jira.findConnectionByName('service-desk-to-engineering');
    await jira.deleteConnection(side!.id);
    const plan = await planJson(ws, ['--detailed-exitcode', '--allow-replace']);
    expect(plan.code).toBe(2);
    expect(plan.json.actions.find((a) => a.connection === 'service-desk-to-engineering')).toMatchObject({
      action: 'replace',
      drift: true,
      changes: [{ field: 'remote.node', before: 'acme-jira (accepting side missing)', after: 'acme-jira' }],
    });
    expect((await ws.cli(['apply', ...FILE, '--yes', '--allow-replace'])).code).toBe(0);
    expect((await planJson(ws, ['--detailed-exitcode'])).code).toBe(0);
  });
});

describe('import', () => {
  test('writes YAML and rule files for connections made by hand; plan right after shows no changes; never overwrites', async () => {
    const client = ws.client('acme-jira');
    const created = await client.createConnection({
      name: 'made by hand',
      description: 'Clicked together\nin the console',
      localShortName: 'jira',
      remoteShortName: 'fs',
      configurationType: 'SCRIPT',
      communication: { type: 'LOCAL' },
    });
    let c = await client.putRules(
      created.connection.id,
      { outgoing: 'replica.key = issue.key\n', incoming: '// nothing\n' },
      created.connection.version,
    );
    c = await client.putTriggers(
      c.id,
      [{ entityType: 'issue', query: 'project = ESC', active: false, notes: 'escalations' }],
      c.version,
    );
    await client.updateConnection(c.id, { status: 'DEACTIVATED' }, c.version);
    await client.createConnection({
      name: 'basic-private',
      description: '',
      localShortName: 'j',
      remoteShortName: 'p',
      configurationType: 'BASIC',
      communication: { type: 'PRIVATE' },
    });

    const r = await ws.cli(['import', '--node', 'acme-jira', ...FILE, '--out', 'imported.exalate.yaml']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const yaml = readFileSync(path.join(ws.dir, 'imported.exalate.yaml'), 'utf8');
    expect(yaml).toContain('token: ${ACME_JIRA_TOKEN}');
    expect(yaml).toContain('owner: platform-team-acme-jira');
    expect(yaml).not.toContain(ws.token);
    expect(readFileSync(path.join(ws.dir, 'imported-rules', 'made-by-hand', 'outgoing.groovy'), 'utf8')).toBe(
      'replica.key = issue.key\n',
    );

    expect((await ws.cli(['validate', 'imported.exalate.yaml'])).code).toBe(0);
    const plan = await ws.cli([
      'plan',
      '--file',
      'imported.exalate.yaml',
      '--format',
      'json',
      '--detailed-exitcode',
    ]);
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout).summary).toMatchObject({ add: 0, change: 0, destroy: 0 });

    const before = readdirSync(ws.dir).sort();
    const again = await ws.cli(['import', '--node', 'acme-jira', ...FILE, '--out', 'imported.exalate.yaml']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('imported-rules/made-by-hand/outgoing.groovy');
    expect(readdirSync(ws.dir).sort()).toEqual(before);
  });

  test('the imported file has its own owner: --prune there never touches the source file’s connections', async () => {
    await applied();
    const r = await ws.cli([
      'import',
      '--node',
      'acme-freshservice',
      ...FILE,
      '--out',
      'acme-fs.exalate.yaml',
    ]);
    expect(r.code).toBe(0);
    const plan = await ws.cli(['plan', '--file', 'acme-fs.exalate.yaml', '--prune', '--format', 'json']);
    expect(plan.code).toBe(0);
    const json = JSON.parse(plan.stdout);
    expect(json.owner).toBe('platform-team-acme-freshservice');
    expect(json.actions.filter((a: { action: string }) => a.action === 'delete')).toEqual([]);
    expect(json.summary.destroy).toBe(0);
  });
});

describe('two-party steps', () => {
  test('a failed acceptance is reported with its connection while the rest apply; the next plan accepts it', async () => {
    ws.emulator.injectFaults({
      kind: 'status',
      status: 400,
      method: 'POST',
      path: '/invitations/accept',
      times: 1,
    });
    const first = await ws.cli(['apply', ...FILE, '--yes']);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('acme-freshservice/service-desk-to-engineering (create)');
    const plan = await planJson(ws);
    expect(actions(plan.json)).toEqual(['acme-freshservice/service-desk-to-engineering accept']);
    expect(plan.json.summary).toMatchObject({ add: 0, change: 1, destroy: 0 });
    await applied();
    const jira = await ws.list('acme-jira');
    expect(jira.find((c) => c.name === 'service-desk-to-engineering')).toMatchObject({
      role: 'ACCEPTOR',
      status: 'ACTIVE',
    });
    expect((await planJson(ws, ['--detailed-exitcode'])).code).toBe(0);
  });

  test('regenerate replaces a pending code in the outputs; the old code stops working', async () => {
    await applied();
    const [, oldCode] = secrets(ws);
    const r = await ws.cli(['regenerate', 'acme-to-partner-jira', ...FILE, '--yes']);
    expect(r.code).toBe(0);
    const [, newCode] = secrets(ws);
    expect(newCode).not.toBe(oldCode);
    expect(outputs(ws)['acme-freshservice/acme-to-partner-jira']?.stale).toBeUndefined();
    expectNoSecrets(r.stdout + r.stderr, [ws.token, oldCode as string, newCode as string]);
    await expect(
      ws.client('acme-jira').acceptInvitation({ invitationCode: oldCode as string }),
    ).rejects.toMatchObject({
      code: 'EXALATE_GONE',
    });
    const accepted = await ws.client('acme-jira').acceptInvitation({ invitationCode: newCode as string });
    expect(accepted.status).toBe('ACTIVE');
    const active = await ws.cli(['regenerate', 'service-desk-to-engineering', ...FILE, '--yes']);
    expect(active.code).toBe(1);
    expect(active.stderr).toContain('is ACTIVE, not waiting for acceptance');
  });
});
