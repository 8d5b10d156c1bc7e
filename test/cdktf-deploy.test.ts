// `cdktf deploy` end to end: the real cdktf CLI (0.21) and Terraform run the example app
// (examples/cdktf/main.ts, both stacks) against the emulator, with no manual provider install.
import { readFileSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmulator } from '../emulator/server';
import { NodeClient } from '../provider/api/client';
import { requireTerraform } from './terraform-helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const example = require('../scripts/cdktf-example.js') as {
  exampleProject(dir?: string): string;
  cdktfEnv(dir: string, extra: Record<string, string>): NodeJS.ProcessEnv;
  cdktf(
    args: string[],
    o: { cwd: string; env: NodeJS.ProcessEnv },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  diffHasChanges(output: string): boolean;
};

beforeAll(() => {
  requireTerraform();
});

test('deploy creates both stacks, codes only with the include flag, a second deploy changes nothing, drift shows in diff, destroy respects protect', async () => {
  const dir = example.exampleProject();
  const token = `tok-${randomBytes(12).toString('hex')}`;
  const emulator = await startEmulator({ dataDir: path.join(dir, 'data'), token, port: 0 });
  const client = new NodeClient({
    url: emulator.nodeUrl('acme-freshservice'),
    token,
    sleep: async () => undefined,
  });
  const env = example.cdktfEnv(dir, {
    ACME_FRESHSERVICE_URL: emulator.nodeUrl('acme-freshservice'),
    ACME_JIRA_URL: emulator.nodeUrl('acme-jira'),
    ACME_FRESHSERVICE_TOKEN: token,
    ACME_JIRA_TOKEN: token,
  });
  const run = (args: string[]) => example.cdktf(args, { cwd: dir, env });
  try {
    // Without the include flag, the outputs file holds no code.
    const masked = path.join(dir, 'masked.json');
    const first = await run([
      'deploy',
      '*',
      '--skip-provider-lock',
      '--auto-approve',
      '--outputs-file',
      masked,
    ]);
    expect([first.code, first.stderr]).toEqual([0, expect.any(String)]);
    const fs = emulator.connections('acme-freshservice');
    const jira = emulator.connections('acme-jira');
    expect(fs.map((c) => `${c.name}:${c.status}`).sort()).toEqual([
      'acme-to-partner-jira:PENDING',
      'acme-to-supplier:PENDING',
      'changes-to-jira:ACTIVE',
      'service-desk-to-engineering:ACTIVE',
    ]);
    expect(jira.map((c) => `${c.name}:${c.role}:${c.status}`).sort()).toEqual([
      'changes-to-jira:ACCEPTOR:ACTIVE',
      'jira-to-vendor:INITIATOR:PENDING',
      'service-desk-to-engineering:ACCEPTOR:ACTIVE',
    ]);
    const codes = [...fs, ...jira].filter((c) => c.status === 'PENDING').length;
    expect(codes).toBe(3);
    const maskedText = readFileSync(masked, 'utf8');
    expect(maskedText).not.toMatch(/invitation_code_\w+"\s*:\s*"[A-Za-z0-9_-]{20,}"/);
    expect(first.stdout + first.stderr).not.toContain(token);

    // With it, the codes are there; and the second deploy changes nothing.
    const outputs = path.join(dir, 'outputs.json');
    const second = await run([
      'deploy',
      '*',
      '--skip-provider-lock',
      '--auto-approve',
      '--outputs-file',
      outputs,
      '--outputs-file-include-sensitive-outputs',
    ]);
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/Apply complete! Resources: [1-9]|[1-9]\d* (added|changed|destroyed)/);
    // {stack: {output: value}}, outputs of nested constructs nested by construct id.
    const leaves = (v: unknown): unknown[] =>
      v !== null && typeof v === 'object' ? Object.values(v as object).flatMap(leaves) : [v];
    const values = leaves(JSON.parse(readFileSync(outputs, 'utf8'))).filter(
      (v): v is string => typeof v === 'string',
    );
    expect(values.filter((v) => /^[A-Za-z0-9_-]{40,}$/.test(v))).toHaveLength(3);
    expect(statSync(outputs).isFile()).toBe(true);

    // A change made on the node shows in cdktf diff.
    const c = await client.findConnectionByName('acme-to-supplier');
    await client.updateConnection(c!.id, { description: 'edited by hand' });
    const diff = await run(['diff', 'typescript-connections', '--skip-provider-lock']);
    expect(diff.code).toBe(0);
    expect(example.diffHasChanges(diff.stdout)).toBe(true);
    const clean = await run(['diff', 'connections-from-yaml', '--skip-provider-lock']);
    expect(example.diffHasChanges(clean.stdout)).toBe(false);

    // protect: true in the YAML (also prevent_destroy in the synthesized lifecycle): destroy is
    // refused at plan time, and nothing of the stack is deleted.
    const destroy = await run(['destroy', 'connections-from-yaml', '--auto-approve']);
    expect(destroy.code).not.toBe(0);
    expect(destroy.stdout + destroy.stderr).toMatch(/jira-to-vendor: protected/);
    expect(emulator.connections('acme-jira').some((x) => x.name === 'jira-to-vendor')).toBe(true);
    expect(emulator.connections('acme-freshservice').some((x) => x.name === 'acme-to-partner-jira')).toBe(
      true,
    );
  } finally {
    await client.close();
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 600_000);
