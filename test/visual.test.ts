// Visual mode has no invitation code (issue 12): the tool initiates a Visual connection and accepts
// it itself on the declared remote node, without a code. No node is ever asked for a code, both
// sides end ACTIVE and paired, and the outputs record an acceptance, never a code.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { errors } from '../provider/model/errors';
import { partnerReason } from '../provider/model/platforms';
import { readOne } from '../provider/engine/resource';
import { applyPlan } from '../provider/engine/apply';
import { clientFactory } from '../provider/engine/clients';
import { openWorkspace, planWorkspace } from '../provider/engine/session';
import { outputs, planJson, workspace, type Workspace } from './reconcile-helpers';

const FILE = ['--file', 'connections.exalate.yaml'];
const NAME = 'support-to-engineering';
const KEY = `acme-zendesk/${NAME}`;

// Zendesk and Jira Cloud both offer Visual.
const CONFIG = `version: 1
owner: platform-team
nodes:
  acme-jira:
    url: \${ACME_JIRA_URL}
    platform: jira-cloud
    token: \${ACME_JIRA_TOKEN}
  acme-zendesk:
    url: \${ACME_ZENDESK_URL}
    platform: zendesk
    token: \${ACME_ZENDESK_TOKEN}
connections:
  - name: ${NAME}
    node: acme-zendesk
    localShortName: support
    remoteShortName: engineering
    mode: visual
    description: Tickets engineering picks up
    remote:
      node: acme-jira
    incomingScope: ENG
`;

let ws: Workspace;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  ws = await workspace({
    nodes: { 'acme-freshservice': 'freshservice', 'acme-jira': 'jira-cloud', 'acme-zendesk': 'zendesk' },
  });
  env = { ACME_ZENDESK_URL: ws.emulator.nodeUrl('acme-zendesk'), ACME_ZENDESK_TOKEN: ws.token };
  ws.edit(() => CONFIG);
});
afterEach(async () => {
  await ws.close();
});

/** Requests that read, regenerate or accept an invitation code, on any node. */
function codeRequests(): string[] {
  return ws.emulator.requests
    .filter((r) => /\/invitations?(\/|$|\?)/.test(r.path))
    .map((r) => `${r.node} ${r.method} ${r.path}`);
}

function acceptRequests(): string[] {
  return ws.emulator.requests
    .filter((r) => r.path.startsWith('/connection-requests/accept'))
    .map((r) => `${r.node} ${r.method} ${r.status}`);
}

/** Both sides as stored: the initiator on acme-zendesk, the accepting side on acme-jira. */
function sides() {
  const [initiator, ...more] = ws.emulator.connections('acme-zendesk').filter((c) => c.name === NAME);
  const [acceptor, ...others] = ws.emulator.connections('acme-jira').filter((c) => c.name === NAME);
  expect([...more, ...others]).toEqual([]);
  return { initiator, acceptor };
}

function expectPaired(): void {
  const { initiator, acceptor } = sides();
  expect(initiator).toMatchObject({
    status: 'ACTIVE',
    role: 'INITIATOR',
    configurationType: 'VISUAL',
    remoteConnectionId: acceptor?.id,
    communication: { type: 'PUBLIC', remoteUrl: ws.emulator.nodeUrl('acme-jira') },
  });
  expect(acceptor).toMatchObject({
    status: 'ACTIVE',
    role: 'ACCEPTOR',
    configurationType: 'VISUAL',
    incomingScope: 'ENG',
    remoteConnectionId: initiator?.id,
    communication: { remoteUrl: ws.emulator.nodeUrl('acme-zendesk') },
  });
}

describe('a Visual connection between two declared nodes', () => {
  test('is created and accepted on the remote node without any invitation code; a second plan is empty', async () => {
    // GIVEN the plan: initiate on acme-zendesk, accept on acme-jira
    const plan = await planJson(ws, [], env);
    expect(plan.json.actions).toEqual([
      expect.objectContaining({
        node: 'acme-zendesk',
        connection: NAME,
        action: 'create',
        accept_on: 'acme-jira',
      }),
    ]);

    // WHEN applied
    const apply = await ws.cli(['apply', ...FILE, '--yes'], env);

    // THEN both sides are ACTIVE and paired, accepted by the initiator's URL and id only
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expectPaired();
    expect(codeRequests()).toEqual([]);
    expect(acceptRequests()).toEqual(['acme-jira POST 201']);
    // The outputs record the acceptance on acme-jira, with no code (nothing sensitive at all).
    expect(outputs(ws)).toEqual({
      [KEY]: {
        node: 'acme-zendesk',
        connection: NAME,
        status: 'accepted',
        accepted_on: 'acme-jira',
        updated_at: expect.any(String),
      },
    });
    const shown = await ws.cli(['output', '--json'], env);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual({
      format_version: '1',
      invitations: { [KEY]: expect.not.objectContaining({ sensitive: true }) },
    });
    expect((await planJson(ws, ['--detailed-exitcode'], env)).code).toBe(0);
    expect((await ws.cli(['drift', ...FILE], env)).code).toBe(0);
    expect(codeRequests()).toEqual([]);
  });

  /** The accepting node refuses the next acceptance (400). */
  function refuseTheAcceptance(): void {
    ws.emulator.injectFaults({
      kind: 'status',
      status: 400,
      method: 'POST',
      path: '/connection-requests/accept',
    });
  }

  test('an acceptance that failed is an accept action, done by the next apply the same way', async () => {
    // GIVEN an apply whose acceptance was refused: the initiator waits, PENDING, without a code
    refuseTheAcceptance();
    expect((await ws.cli(['apply', ...FILE, '--yes'], env)).code).toBe(1);
    expect(sides().initiator).toMatchObject({ status: 'PENDING' });
    expect(sides().initiator).not.toHaveProperty('invitationCreatedAt');
    expect(sides().acceptor).toBeUndefined();

    // WHEN planned and applied again
    const plan = await planJson(ws, ['--detailed-exitcode'], env);
    expect(plan.code).toBe(2);
    expect(plan.json.actions).toEqual([
      expect.objectContaining({ connection: NAME, action: 'accept', accept_on: 'acme-jira' }),
    ]);
    const text = await ws.cli(['plan', ...FILE], env);
    expect(text.stdout).not.toMatch(/accept the invitation|exalate-iac output/);
    const apply = await ws.cli(['apply', ...FILE, '--yes'], env);

    // THEN it is accepted, with the same operation, and no code was ever asked for
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expectPaired();
    expect(acceptRequests()).toEqual(['acme-jira POST 400', 'acme-jira POST 201']);
    expect(codeRequests()).toEqual([]);
    expect(outputs(ws)[KEY]).toMatchObject({ status: 'accepted', accepted_on: 'acme-jira' });
    expect(outputs(ws)[KEY]).not.toHaveProperty('code');
  });

  test('regenerate refuses a Visual connection: it has no code to replace', async () => {
    refuseTheAcceptance();
    expect((await ws.cli(['apply', ...FILE, '--yes'], env)).code).toBe(1);
    const r = await ws.cli(['regenerate', NAME, ...FILE, '--yes'], env);
    expect(r.code).toBe(1);
    const refusal = errors.noInvitationCode('acme-zendesk', NAME, 'visual');
    expect(r.stderr).toBe(`exalate-iac regenerate: ${refusal.message} (${refusal.hint})\n`);
    expect(codeRequests()).toEqual([]);
  });
});

describe('import of Visual connections made by hand', () => {
  test('one to a declared node is adopted with remote.node and then accepted by apply; one to a URL is skipped with the reason', async () => {
    // GIVEN two pending Visual connections initiated by hand on acme-zendesk
    const zendesk = ws.client('acme-zendesk');
    for (const [name, remoteUrl] of [
      ['to-jira', ws.emulator.nodeUrl('acme-jira')],
      ['to-partner', 'https://partner.example.com'],
    ] as const)
      await zendesk.createConnection({
        name,
        description: '',
        localShortName: 'a',
        remoteShortName: 'b',
        configurationType: 'VISUAL',
        communication: { type: 'PUBLIC', remoteUrl },
      });

    // WHEN imported
    const r = await ws.cli(['import', '--node', 'acme-zendesk', ...FILE, '--out', 'imp.exalate.yaml'], env);

    // THEN the one a file could not declare is skipped with validate's reason; the file is valid
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`skipped to-partner: ${partnerReason('visual', 'public', false)}`);
    expect(r.stdout).not.toContain('skipped to-jira');
    const imported = parse(readFileSync(path.join(ws.dir, 'imp.exalate.yaml'), 'utf8')) as {
      connections: { name: string; mode: string; remote: unknown }[];
    };
    expect(imported.connections).toEqual([
      expect.objectContaining({ name: 'to-jira', mode: 'visual', remote: { node: 'acme-jira' } }),
    ]);
    expect((await ws.cli(['validate', 'imp.exalate.yaml'], env)).code).toBe(0);

    // AND apply accepts the adopted one on acme-jira, without a code
    const plan = await ws.cli(['plan', '--file', 'imp.exalate.yaml', '--format', 'json'], env);
    expect(JSON.parse(plan.stdout).actions).toEqual([
      expect.objectContaining({ connection: 'to-jira', action: 'accept', accept_on: 'acme-jira' }),
    ]);
    expect((await ws.cli(['apply', '--file', 'imp.exalate.yaml', '--yes'], env)).code).toBe(0);
    expect(ws.emulator.connections('acme-jira').find((c) => c.name === 'to-jira')).toMatchObject({
      status: 'ACTIVE',
      role: 'ACCEPTOR',
    });
    expect(codeRequests()).toEqual([]);
  });
});

describe('a pending Visual connection the configuration does not accept', () => {
  test('reads as pending with no code, and a pending step records none, never an error', async () => {
    // GIVEN a Visual connection initiated by hand on acme-zendesk towards acme-jira (not accepted)
    const created = await ws.client('acme-zendesk').createConnection({
      name: 'by-hand',
      description: '',
      localShortName: 'a',
      remoteShortName: 'b',
      configurationType: 'VISUAL',
      communication: { type: 'PUBLIC', remoteUrl: ws.emulator.nodeUrl('acme-jira') },
    });
    expect(created.invitationCode).toBeUndefined();
    const engineEnv = { ...ws.env, ...env };
    const engine = await openWorkspace(path.join(ws.dir, 'connections.exalate.yaml'), {
      env: engineEnv,
      cwd: ws.dir,
      clientFactory: clientFactory({ sleep: async () => undefined }),
    });
    try {
      // WHEN read as the Terraform provider reads a resource (no remote node: a partner would accept it)
      const live = await readOne(
        {
          owner: engine.state.owner,
          nodes: engine.state.nodes,
          resolved: engine.resolved,
          clients: engine.clients,
          env: engineEnv,
        },
        { node: 'acme-zendesk', name: 'by-hand' },
      );
      // THEN it is pending, without a code, and no code was asked for
      expect(live?.connection).toMatchObject({ status: 'PENDING', configurationType: 'VISUAL' });
      expect(live?.invitation).toBeUndefined();

      // AND a pending step of apply (what re-reads a waiting connection's code) records nothing
      const { plan } = await planWorkspace(engine, { prune: false, allowReplace: false }, engineEnv);
      const declared = plan.actions.find((a) => a.name === NAME);
      const pending = {
        ...declared!,
        kind: 'pending' as const,
        name: 'by-hand',
        live: { id: created.connection.id, status: 'PENDING' },
        snapshot: created.connection,
      };
      const result = await applyPlan({ ...plan, actions: [pending] }, engine.clients, engine.resolved, {
        parallelism: 1,
        env: engineEnv,
      });
      expect(result.failed).toEqual([]);
      expect(result.warnings).toEqual([]);
      expect(result.invitations).toEqual([]);
    } finally {
      await engine.close();
    }
    expect(codeRequests()).toEqual([]);
  });
});
