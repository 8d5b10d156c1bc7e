import { existsSync, readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { workspace, Workspace } from './reconcile-helpers';

const FILE = ['--file', 'connections.exalate.yaml'];

/** Every secret a workspace knows: the token and the invitation codes in its outputs file. */
function secrets(ws: Workspace, outputs = '.exalate/outputs.json'): string[] {
  const file = path.join(ws.dir, outputs);
  const codes = existsSync(file)
    ? Object.values(JSON.parse(readFileSync(file, 'utf8')).invitations as Record<string, { code?: string }>)
        .map((i) => i.code)
        .filter((c): c is string => typeof c === 'string')
    : [];
  return [ws.token, ...codes];
}

function expectNoSecrets(text: string, known: string[]): void {
  for (const s of known) expect(text).not.toContain(s);
}

describe('plan and apply against the emulator', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
  });
  afterEach(async () => {
    await ws.close();
  });

  test('the example: create, accept automatically, pending codes in a 0600 outputs file, then nothing to do', async () => {
    const plan = await ws.cli(['plan', ...FILE, '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('+ acme-freshservice/acme-to-partner-jira');
    expect(plan.stdout).toContain(
      "+ acme-freshservice/service-desk-to-engineering  (create: not on the node: initiate it and accept it on 'acme-jira')",
    );
    expect(plan.stdout).toContain('Plan: 3 to add, 0 to change, 0 to destroy.');

    const apply = await ws.cli(['apply', ...FILE, '--yes']);
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('2 invitation codes written to .exalate/outputs.json (mode 0600)');
    expect(apply.stdout).toContain('Apply complete! Connections: 3 added, 0 changed, 0 destroyed.');

    const outputsFile = path.join(ws.dir, '.exalate', 'outputs.json');
    expect(statSync(outputsFile).mode & 0o777).toBe(0o600);
    const outputs = JSON.parse(readFileSync(outputsFile, 'utf8'));
    expect(outputs.invitations['acme-freshservice/acme-to-partner-jira']).toMatchObject({
      status: 'pending',
      code: expect.any(String),
    });
    expect(outputs.invitations['acme-jira/jira-to-vendor']).toMatchObject({
      status: 'pending',
      code: expect.any(String),
    });
    expect(outputs.invitations['acme-freshservice/service-desk-to-engineering']).toMatchObject({
      status: 'accepted',
      acceptedOn: 'acme-jira',
    });
    expect(outputs.invitations['acme-freshservice/service-desk-to-engineering'].code).toBeUndefined();
    expectNoSecrets(plan.stdout + plan.stderr + apply.stdout + apply.stderr, secrets(ws));

    const fs = await ws.list('acme-freshservice');
    const jira = await ws.list('acme-jira');
    expect(fs.map((c) => [c.name, c.status]).sort()).toEqual([
      ['acme-to-partner-jira', 'PENDING'],
      ['service-desk-to-engineering', 'ACTIVE'],
    ]);
    expect(jira.map((c) => [c.name, c.status, c.role]).sort()).toEqual([
      ['jira-to-vendor', 'PENDING', 'INITIATOR'],
      ['service-desk-to-engineering', 'ACTIVE', 'ACCEPTOR'],
    ]);
    const private1 = fs.find((c) => c.name === 'acme-to-partner-jira');
    expect(private1?.rules?.outgoing).toBe(
      readFileSync(path.join(ws.dir, 'rules', 'outgoing.groovy'), 'utf8'),
    );
    expect(private1?.triggers).toEqual([
      { entityType: 'ticket', query: 'priority:4', active: true, notes: 'urgent tickets only' },
    ]);

    const again = await ws.cli(['plan', ...FILE, '--detailed-exitcode']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Plan: 0 to add, 0 to change, 0 to destroy.');
    expect(again.stdout).toContain('2 waiting for the partner to accept (not drift)');
    const drift = await ws.cli(['drift', ...FILE]);
    expect(drift.code).toBe(0);

    // A rerun is a no-op that re-reads the pending codes (a lost outputs file is rebuilt).
    writeFileSync(outputsFile, '{"format_version":"1","invitations":{}}');
    const rerun = await ws.cli(['apply', ...FILE, '--yes']);
    expect(rerun.code).toBe(0);
    expect(Object.keys(JSON.parse(readFileSync(outputsFile, 'utf8')).invitations).sort()).toEqual([
      'acme-freshservice/acme-to-partner-jira',
      'acme-jira/jira-to-vendor',
    ]);
  });

  test('update in place: description, enabled, rules and triggers; then the plan is empty', async () => {
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
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
    const plan = await ws.cli(['plan', ...FILE]);
    expect(plan.stdout).toContain(
      '~ acme-freshservice/service-desk-to-engineering  (update: description, enabled, rules.incoming, triggers differ)',
    );
    expect(plan.stdout).toContain(
      'description: "Incidents that need engineering, both ways" → "Engineering escalations"',
    );
    expect(plan.stdout).toContain('enabled: true → false');
    expect(plan.stdout).toContain(
      '~ acme-freshservice/acme-to-partner-jira  (update: rules.incoming differs)',
    );
    expect(plan.stdout).toContain('Plan: 0 to add, 2 to change, 0 to destroy.');
    const apply = await ws.cli(['apply', ...FILE, '--yes']);
    expect(apply.code).toBe(0);
    const live = (await ws.list('acme-freshservice')).find((c) => c.name === 'service-desk-to-engineering');
    expect(live?.status).toBe('DEACTIVATED');
    expect(live?.description).toBe('Engineering escalations\n\n[exalate-iac owner=platform-team]');
    expect(live?.rules?.incoming).toBe('issue.summary = replica.summary\n');
    expect(live?.triggers).toEqual([{ entityType: 'ticket', query: 'tag:eng', active: false, notes: '' }]);
    expect((await ws.cli(['plan', ...FILE, '--detailed-exitcode'])).code).toBe(0);
  });

  test('replace: blocked without --allow-replace (apply fails), done with it', async () => {
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
    const before = (await ws.list('acme-freshservice')).find((c) => c.name === 'acme-to-partner-jira');
    ws.edit((t) =>
      t.replace(
        'localShortName: acme\n    remoteShortName: partner',
        'localShortName: acme-it\n    remoteShortName: partner',
      ),
    );
    const plan = await ws.cli(['plan', ...FILE]);
    expect(plan.stdout).toContain(
      '-/+ acme-freshservice/acme-to-partner-jira  (replace: localShortName changed (immutable))',
    );
    expect(plan.stdout).toContain('localShortName: "acme" → "acme-it"  # forces replacement');
    expect(plan.stdout).toMatch(
      /blocked: localShortName cannot change in place: re-run with --allow-replace/,
    );
    const blocked = await ws.cli(['apply', ...FILE, '--yes']);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain(
      'acme-freshservice/acme-to-partner-jira (replace): blocked: localShortName cannot change in place',
    );
    const replaced = await ws.cli(['apply', ...FILE, '--yes', '--allow-replace']);
    expect(replaced.code).toBe(0);
    const after = (await ws.list('acme-freshservice')).find((c) => c.name === 'acme-to-partner-jira');
    expect(after?.id).not.toBe(before?.id);
    expect(after?.localShortName).toBe('acme-it');
    expect((await ws.cli(['plan', ...FILE, '--detailed-exitcode'])).code).toBe(0);
  });

  test('prune deletes what this owner created and no longer declares, never protected or foreign ones', async () => {
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
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
    const noPrune = await ws.cli(['plan', ...FILE, '--detailed-exitcode']);
    expect(noPrune.code).toBe(0);
    expect(noPrune.stdout).toContain(
      '! acme-freshservice/service-desk-to-engineering: created by this owner and no longer declared (kept: run with --prune to delete it)',
    );
    expect(noPrune.stdout).toContain('1 connection on the nodes not managed by this file (left alone).');

    const plan = await ws.cli(['plan', ...FILE, '--prune']);
    expect(plan.stdout).toContain(
      '- acme-freshservice/service-desk-to-engineering  (delete: created by this owner and no longer declared)',
    );
    expect(plan.stdout).toContain('- acme-jira/jira-to-vendor  (delete:');
    expect(plan.stdout).toContain('blocked: protected (protect=true is recorded on the connection)');
    const apply = await ws.cli(['apply', ...FILE, '--yes', '--prune']);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain('acme-jira/jira-to-vendor (delete): blocked: protected');
    expect((await ws.list('acme-freshservice')).map((c) => c.name).sort()).toEqual([
      'acme-to-partner-jira',
      'made-by-hand',
    ]);
    // The accepting side on acme-jira went with it; the protected one stays.
    expect((await ws.list('acme-jira')).map((c) => c.name)).toEqual(['jira-to-vendor']);
  });
});

describe('drift', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await workspace();
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
  });
  afterAll(async () => {
    await ws.close();
  });

  test('in sync: exit 0; pending acceptance is not drift', async () => {
    const r = await ws.cli(['drift', ...FILE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No drift');
    expect(r.stdout).toContain('acme-freshservice/acme-to-partner-jira: waiting for acceptance (not drift)');
  });

  test('deactivated and edited by hand: exit 2 with a per-field report in every format', async () => {
    const client = ws.client('acme-freshservice');
    const c = await client.findConnectionByName('service-desk-to-engineering');
    const deactivated = await client.updateConnection(c!.id, { status: 'DEACTIVATED' });
    await client.putTriggers(
      c!.id,
      [{ entityType: 'ticket', query: 'tag:all', active: true, notes: '' }],
      deactivated.version,
    );
    const text = await ws.cli(['drift', ...FILE]);
    expect(text.code).toBe(2);
    expect(text.stdout).toContain('Drift detected in 1 connection:');
    expect(text.stdout).toContain('enabled: expected true, found false');
    expect(text.stdout).toContain('triggers: expected ticket: "tag:engineering", found ticket: "tag:all"');
    const json = JSON.parse((await ws.cli(['drift', ...FILE, '--format', 'json'])).stdout);
    expect(json).toMatchObject({ format_version: '1', drift: true });
    expect(json.drifted[0].fields.map((f: { field: string }) => f.field)).toEqual(['enabled', 'triggers']);
    const md = await ws.cli(['drift', ...FILE, '--format', 'markdown']);
    expect(md.code).toBe(2);
    expect(md.stdout).toContain('`enabled`: expected true, found false');
    // apply repairs it
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
    expect((await ws.cli(['drift', ...FILE])).code).toBe(0);
  });

  test('deleted or renamed by hand: exit 2', async () => {
    const client = ws.client('acme-freshservice');
    const c = await client.findConnectionByName('acme-to-partner-jira');
    await client.deleteConnection(c!.id);
    const r = await ws.cli(['drift', ...FILE]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(
      'acme-freshservice/acme-to-partner-jira (missing): declared but not on the node',
    );
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
    expect((await ws.cli(['drift', ...FILE])).code).toBe(0);
  });
});

describe('saved plans', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
  });
  afterEach(async () => {
    await ws.close();
  });

  test('apply PLAN applies exactly the saved plan, which holds no secret', async () => {
    const plan = await ws.cli(['plan', ...FILE, '--out', 'reviewed.plan.json']);
    expect(plan.code).toBe(0);
    // The file changes after review: the saved plan is still what gets applied.
    ws.edit((t) => t.replace('name: jira-to-vendor', 'name: jira-to-other-vendor'));
    const apply = await ws.cli(['apply', 'reviewed.plan.json', '--yes']);
    expect(apply.code).toBe(0);
    expect((await ws.list('acme-jira')).map((c) => c.name).sort()).toEqual([
      'jira-to-vendor',
      'service-desk-to-engineering',
    ]);
    // A plan made while connections wait for partners (codes exist now) holds none of them.
    expect((await ws.cli(['plan', ...FILE, '--out', 'later.plan.json'])).code).toBe(0);
    const known = secrets(ws);
    expect(known.length).toBe(3);
    for (const file of ['reviewed.plan.json', 'later.plan.json']) {
      const planText = readFileSync(path.join(ws.dir, file), 'utf8');
      expectNoSecrets(planText, known);
      expect(planText).not.toContain(ws.emulator.nodeUrl('acme-jira'));
    }
  });

  test('apply PLAN refuses when the nodes changed since the plan', async () => {
    expect((await ws.cli(['plan', ...FILE, '--out', 'p.json'])).code).toBe(0);
    await ws.client('acme-jira').createConnection({
      name: 'sneaked-in',
      description: '',
      localShortName: 'a',
      remoteShortName: 'b',
      configurationType: 'BASIC',
      communication: { type: 'PRIVATE' },
    });
    const apply = await ws.cli(['apply', 'p.json']);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain('the nodes changed since the plan was made (acme-jira)');
    expect((await ws.list('acme-freshservice')).length).toBe(0);
  });

  test('a file that is not a plan is a one-line error', async () => {
    writeFileSync(path.join(ws.dir, 'junk.json'), '{"hello": 1}');
    const r = await ws.cli(['apply', 'junk.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('exalate-iac apply: junk.json is not an exalate-iac plan (format_version 1)\n');
  });
});

describe('outputs and secrets', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await workspace();
  });
  afterAll(async () => {
    await ws.close();
  });

  test('GitHub Actions: codes are masked and written to $GITHUB_OUTPUT', async () => {
    const ghOutput = path.join(ws.dir, 'github-output.txt');
    writeFileSync(ghOutput, '');
    const r = await ws.cli(['apply', ...FILE, '--yes'], { GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: ghOutput });
    expect(r.code).toBe(0);
    const [privateCode, vendorCode] = secrets(ws).slice(1);
    const written = readFileSync(ghOutput, 'utf8');
    expect(written).toMatch(
      new RegExp(
        `^invitation_code_acme_freshservice_acme_to_partner_jira<<(EXALATE_[0-9a-f]+)\\n${privateCode}\\n\\1$`,
        'm',
      ),
    );
    expect(written).toContain(vendorCode);
    // The only place the codes reach stdout is the runner's masking command.
    const lines = r.stdout
      .split('\n')
      .filter((l) => l.includes(privateCode as string) || l.includes(vendorCode as string));
    expect(lines.sort()).toEqual([`::add-mask::${privateCode}`, `::add-mask::${vendorCode}`].sort());
  });

  test('output hides codes unless --show-sensitive', async () => {
    const known = secrets(ws);
    const hidden = await ws.cli(['output']);
    expect(hidden.code).toBe(0);
    expect(hidden.stdout).toContain('acme-freshservice/acme-to-partner-jira  pending  (sensitive)');
    expect(hidden.stdout).toContain(
      'acme-freshservice/service-desk-to-engineering  accepted  accepted on acme-jira',
    );
    expectNoSecrets(hidden.stdout, known);
    const json = JSON.parse((await ws.cli(['output', '--json'])).stdout);
    expect(json['acme-jira/jira-to-vendor']).toMatchObject({ code: '(sensitive)', sensitive: true });
    const one = await ws.cli(['output', 'acme-to-partner-jira', '--show-sensitive']);
    expect(one.stdout).toBe(`${known[1]}\n`);
    const shown = await ws.cli(['output', '--show-sensitive']);
    expect(shown.stdout).toContain(known[1]);
  });

  test('the token never shows, even in errors', async () => {
    const r = await ws.cli(['plan', ...FILE], { ACME_JIRA_TOKEN: 'wrong-token-value' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^exalate-iac: node 'acme-jira': .*401/);
    expect(r.stderr).not.toContain('wrong-token-value');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('exit codes and bad input', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await workspace();
  });
  afterAll(async () => {
    await ws.close();
  });

  test('a missing environment variable points at the file, and no request is made', async () => {
    ws.emulator.clearRequests();
    const r = await ws.cli(['plan', ...FILE], { ACME_JIRA_URL: '' });
    expect(ws.emulator.requests).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'connections.exalate.yaml:11:3: error: environment variable ACME_JIRA_URL (nodes.acme-jira.url) is not set\n',
    );
  });

  test('an invalid file stops before any API call', async () => {
    ws.edit((t) => t.replace('mode: basic', 'mode: visual\n    private: true'));
    ws.emulator.clearRequests();
    const r = await ws.cli(['apply', ...FILE, '--yes']);
    expect(ws.emulator.requests).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: mode 'visual' is not available for private connections");
    expect(await ws.list('acme-jira')).toEqual([]);
    ws.edit((t) => t.replace('mode: visual\n    private: true', 'mode: basic'));
  });

  test('apply off a terminal without --yes refuses', async () => {
    const r = await ws.cli(['apply', ...FILE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pass --yes');
    expect(await ws.list('acme-freshservice')).toEqual([]);
  });

  test('an unreachable node is one line, exit 1', async () => {
    const r = await ws.cli(['drift', ...FILE], { ACME_JIRA_URL: 'http://127.0.0.1:9/nodes/x' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^exalate-iac: node 'acme-jira': /);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});

describe('import', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await workspace();
  });
  afterAll(async () => {
    await ws.close();
  });

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
    expect(r.stdout).toContain("Imported 2 connections from 'acme-jira' into imported.exalate.yaml.");
    const yaml = readFileSync(path.join(ws.dir, 'imported.exalate.yaml'), 'utf8');
    expect(yaml).toContain('token: ${ACME_JIRA_TOKEN}');
    expect(yaml).not.toContain(ws.token);
    expect(readFileSync(path.join(ws.dir, 'imported-rules', 'made-by-hand', 'outgoing.groovy'), 'utf8')).toBe(
      'replica.key = issue.key\n',
    );

    expect((await ws.cli(['validate', 'imported.exalate.yaml'])).code).toBe(0);
    const plan = await ws.cli(['plan', '--file', 'imported.exalate.yaml', '--detailed-exitcode']);
    expect(plan.stdout).toContain('Plan: 0 to add, 0 to change, 0 to destroy.');
    expect(plan.code).toBe(0);

    const before = readdirSync(ws.dir).sort();
    const again = await ws.cli(['import', '--node', 'acme-jira', ...FILE, '--out', 'imported.exalate.yaml']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      'refusing to overwrite existing files: imported-rules/made-by-hand/outgoing.groovy',
    );
    expect(again.stderr).toContain('(nothing was written)');
    expect(readdirSync(ws.dir).sort()).toEqual(before);
  });
});

describe('two-party steps', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
  });
  afterEach(async () => {
    await ws.close();
  });

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
    expect(first.stderr).toMatch(
      /Apply failed for 1 of 3 connections:\n {2}acme-freshservice\/service-desk-to-engineering \(create\): .*400/,
    );
    expect(first.stdout).toContain(
      'ok acme-freshservice/acme-to-partner-jira: created; invitation code written to the outputs',
    );
    const plan = await ws.cli(['plan', ...FILE]);
    expect(plan.stdout).toContain(
      "~ acme-freshservice/service-desk-to-engineering  (accept: waiting for acceptance: accept the invitation on 'acme-jira')",
    );
    expect(plan.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy.');
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
    const jira = await ws.list('acme-jira');
    expect(jira.find((c) => c.name === 'service-desk-to-engineering')).toMatchObject({
      role: 'ACCEPTOR',
      status: 'ACTIVE',
    });
    expect((await ws.cli(['plan', ...FILE, '--detailed-exitcode'])).code).toBe(0);
  });

  test('regenerate replaces a pending code in the outputs; the old code stops working', async () => {
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
    const [, oldCode] = secrets(ws);
    const r = await ws.cli(['regenerate', 'acme-to-partner-jira', ...FILE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'New invitation code for acme-freshservice/acme-to-partner-jira written to .exalate/outputs.json',
    );
    const [, newCode] = secrets(ws);
    expect(newCode).not.toBe(oldCode);
    expectNoSecrets(r.stdout + r.stderr, [ws.token, oldCode as string, newCode as string]);
    await expect(
      ws.client('acme-jira').acceptInvitation({ invitationCode: oldCode as string }),
    ).rejects.toMatchObject({ code: 'EXALATE_GONE' });
    const accepted = await ws.client('acme-jira').acceptInvitation({ invitationCode: newCode as string });
    expect(accepted.status).toBe('ACTIVE');
    const active = await ws.cli(['regenerate', 'service-desk-to-engineering', ...FILE]);
    expect(active.code).toBe(1);
    expect(active.stderr).toContain('is ACTIVE, not waiting for acceptance');
  });

  test('a connection renamed by hand is drift: the declared name is missing and the new one undeclared', async () => {
    expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
    const client = ws.client('acme-freshservice');
    const old = await client.findConnectionByName('acme-to-partner-jira');
    await client.deleteConnection(old!.id);
    await client.createConnection({
      name: 'acme-to-partner',
      description: old!.description,
      localShortName: old!.localShortName,
      remoteShortName: old!.remoteShortName,
      configurationType: old!.configurationType,
      communication: old!.communication,
    });
    const r = await ws.cli(['drift', ...FILE]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('acme-freshservice/acme-to-partner-jira (missing)');
    expect(r.stdout).toContain(
      'acme-freshservice/acme-to-partner (undeclared): created by this owner and no longer declared',
    );
  });
});
