// Against a node that answers only what real nodes are observed to answer (the emulator's
// `observed` profile: id, name, status, communication.remoteUrl; no paging, no expand, no
// modeled reads), nothing is planned because of a field the node does not report.
import * as path from 'node:path';
import { startEmulator } from '../emulator/server';
import { main } from '../provider/cli/main';
import { captureIo } from './helpers';
import { FAST, planJson, workspace, type Workspace } from './reconcile-helpers';

const FILE = ['--file', 'connections.exalate.yaml'];

let ws: Workspace;
let observed: Awaited<ReturnType<typeof startEmulator>>;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  // Applied on the full profile, then the same data served as a real node would answer.
  ws = await workspace();
  const r = await ws.cli(['apply', ...FILE, '--yes']);
  expect(r.code).toBe(0);
  await ws.emulator.close();
  observed = await startEmulator({
    dataDir: path.join(ws.dir, '.data'),
    token: ws.token,
    port: 0,
    profile: 'observed',
  });
  env = {
    ACME_FRESHSERVICE_URL: observed.nodeUrl('acme-freshservice'),
    ACME_JIRA_URL: observed.nodeUrl('acme-jira'),
  };
});
afterEach(async () => {
  await observed.close();
  await ws.close().catch(() => undefined);
});

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo(ws.dir, { ...ws.env, ...env });
  const code = await main(argv, io, FAST);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

test('plan: exit 0 with --detailed-exitcode, no replace or delete, the unreported fields listed once per node', async () => {
  const plan = await planJson(ws, ['--detailed-exitcode', '--prune', '--allow-replace'], env);
  expect(plan.code).toBe(0);
  expect(plan.json.actions.filter((a) => a.action !== 'no-op' && a.action !== 'pending')).toEqual([]);
  expect(plan.json.summary).toMatchObject({ add: 0, change: 0, destroy: 0 });
  expect(Object.keys(plan.json.unknown_fields).sort()).toEqual(['acme-freshservice', 'acme-jira']);
  expect(plan.json.unknown_fields['acme-freshservice']).toEqual(
    expect.arrayContaining(['mode', 'localShortName', 'description', 'rules.outgoing', 'triggers']),
  );
  const text = await cli(['plan', ...FILE]);
  expect(text.code).toBe(0);
  // Once per node, not per connection.
  expect(text.stdout.match(/^Not reported by acme-freshservice: /gm)).toHaveLength(1);
});

test('drift: exit 0, the unreported fields listed and not drift', async () => {
  const r = await cli(['drift', ...FILE, '--format', 'json']);
  expect(r.code).toBe(0);
  const json = JSON.parse(r.stdout);
  expect(json.drift).toBe(false);
  expect(json.drifted).toEqual([]);
  expect(json.unknown_fields['acme-jira']).toEqual(expect.arrayContaining(['mode']));
});

test('apply: changes nothing on values it cannot compare, says so, exits 0', async () => {
  const before = observed.connections('acme-freshservice').map((c) => [c.id, c.version]);
  const r = await cli(['apply', ...FILE, '--yes', '--prune', '--allow-replace']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/Not reported by acme-freshservice: .* cannot be compared, so nothing is changed/);
  expect(observed.connections('acme-freshservice').map((c) => [c.id, c.version])).toEqual(before);
});

test('import: writes nothing it cannot know, and says why for each connection', async () => {
  const r = await cli(['import', '--node', 'acme-freshservice', ...FILE, '--out', 'observed.exalate.yaml']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/Imported 0 connections/);
  expect(r.stdout.match(/skipped .*: the node does not (report|say)/g)?.length).toBe(2);
});
