/**
 * Every JSON the CLI prints or writes has a JSON Schema in `schemas/` (one convention: snake_case,
 * `format_version`; docs/output-formats.md). Real command output, made against the emulator, is
 * validated against its schema; and every property a schema declares must show up in that output,
 * so a format cannot gain, lose or rename a property without its schema following.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Connection } from '../provider/api/types';
import { main } from '../provider/cli/main';
import { clientFactory } from '../provider/engine/clients';
import type { ClientFactory } from '../provider/engine/nodes';
import { OUTPUTS_FORMAT_VERSION } from '../provider/engine/outputs';
import { PLAN_FORMAT_VERSION } from '../provider/engine/saved-plan';
import { CONNECTION_FIELDS } from '../provider/model/fields';
import { captureIo, ROOT } from './helpers';
import { workspace, type Workspace } from './reconcile-helpers';

type Format = 'plan' | 'drift' | 'outputs' | 'validate';
const FORMATS: readonly Format[] = ['plan', 'drift', 'outputs', 'validate'];
type Schema = Record<string, unknown>;

const schemas = Object.fromEntries(
  FORMATS.map((f) => [
    f,
    JSON.parse(readFileSync(path.join(ROOT, 'schemas', `${f}.schema.json`), 'utf8')) as Schema,
  ]),
) as Record<Format, Schema>;

const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);
for (const f of FORMATS) ajv.addSchema(schemas[f]);
const validators = Object.fromEntries(
  FORMATS.map((f) => [f, ajv.getSchema(schemas[f].$id as string) as ValidateFunction]),
) as Record<Format, ValidateFunction>;

/** A schema given as a keyword's value (`additionalProperties: {…}`), not `true`/`false`. */
function subschema(value: unknown): Schema | undefined {
  return typeof value === 'object' && value !== null ? (value as Schema) : undefined;
}

/** Resolve a `$ref` (local or to another of these schemas) to the schema it names. */
function deref(node: Schema, root: Schema): { node: Schema; root: Schema } {
  let current = node;
  let base = root;
  while (typeof current.$ref === 'string') {
    const [file, pointer = ''] = current.$ref.split('#');
    if (file) base = schemas[file.replace('.schema.json', '') as Format];
    current = pointer
      .split('/')
      .filter(Boolean)
      .reduce<Schema>((n, key) => n[key] as Schema, base);
  }
  return { node: current, root: base };
}

/** Every property path a schema declares (`a.b`, `a[].b`, `a.*.b` for maps). */
function declaredPaths(node: Schema, root: Schema, at = '', out = new Set<string>()): Set<string> {
  const { node: n, root: r } = deref(node, root);
  for (const [name, child] of Object.entries((n.properties ?? {}) as Record<string, Schema>)) {
    const p = at ? `${at}.${name}` : name;
    out.add(p);
    declaredPaths(child, r, p, out);
  }
  const extra = subschema(n.additionalProperties);
  if (extra) declaredPaths(extra, r, `${at}.*`, out);
  if (typeof n.items === 'object') declaredPaths(n.items as Schema, r, `${at}[]`, out);
  return out;
}

/** The property paths a value uses, walked along its schema. */
function usedPaths(
  value: unknown,
  node: Schema,
  root: Schema,
  at = '',
  out = new Set<string>(),
): Set<string> {
  const { node: n, root: r } = deref(node, root);
  if (Array.isArray(value)) {
    if (typeof n.items === 'object')
      for (const v of value) usedPaths(v, n.items as Schema, r, `${at}[]`, out);
    return out;
  }
  if (typeof value !== 'object' || value === null) return out;
  const props = (n.properties ?? {}) as Record<string, Schema>;
  for (const [key, v] of Object.entries(value)) {
    const child = props[key];
    if (child) {
      const p = at ? `${at}.${key}` : key;
      out.add(p);
      usedPaths(v, child, r, p, out);
    } else if (subschema(n.additionalProperties)) {
      usedPaths(v, subschema(n.additionalProperties) as Schema, r, `${at}.*`, out);
    }
  }
  return out;
}

/** What the commands printed and wrote in the scenario below, per format. */
const samples: Record<Format, { what: string; json: unknown }[]> = {
  plan: [],
  drift: [],
  outputs: [],
  validate: [],
};

let ws: Workspace;
const FILE = ['--file', 'connections.exalate.yaml'];

async function json(format: Format, argv: string[], codes = [0]): Promise<Record<string, unknown>> {
  const r = await ws.cli(argv);
  if (!codes.includes(r.code)) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr}`);
  const value = JSON.parse(r.stdout) as Record<string, unknown>;
  samples[format].push({ what: argv.join(' '), json: value });
  return value;
}

function file(format: Format, name: string): Record<string, unknown> {
  const value = JSON.parse(readFileSync(path.join(ws.dir, name), 'utf8')) as Record<string, unknown>;
  samples[format].push({ what: name, json: value });
  return value;
}

/** Real clients whose listings leave the rules out. */
const withoutRules: ClientFactory = (node) => {
  const real = clientFactory({ sleep: async () => undefined })(node);
  return Object.assign(Object.create(real) as typeof real, {
    async *listConnections(options?: Parameters<typeof real.listConnections>[0]) {
      for await (const c of real.listConnections(options)) {
        const { rules: _rules, ...rest } = c;
        yield rest as Connection;
      }
    },
  });
};

beforeAll(async () => {
  ws = await workspace();
  // validate: a valid file, and files with findings (a pointer, two files with one owner).
  await json('validate', ['validate', '--format', 'json', 'connections.exalate.yaml']);
  ws.edit((t) => t.replace('mode: basic', 'mode: visual\n    private: true'), 'connections.exalate.yaml');
  await json('validate', ['validate', '--format', 'json', 'connections.exalate.yaml'], [1]);
  ws.edit((t) => t.replace('mode: visual\n    private: true', 'mode: basic'), 'connections.exalate.yaml');

  // plan of a fresh setup (creates, an acceptance on a declared node), saved as well.
  await json('plan', ['plan', ...FILE, '--format', 'json', '--out', 'fresh.plan.json']);
  file('plan', 'fresh.plan.json');

  // apply: the outputs file with codes and an acceptance; output --json both ways.
  expect((await ws.cli(['apply', ...FILE, '--yes'])).code).toBe(0);
  file('outputs', '.exalate/outputs.json');
  await json('outputs', ['output', '--json']);
  await json('outputs', ['output', '--json', '--show-sensitive']);
  // drift in sync, with invitations pending.
  await json('drift', ['drift', ...FILE, '--format', 'json']);

  // A regeneration whose answer is lost: the entry is marked stale.
  ws.emulator.injectFaults({ kind: 'reset', method: 'POST', path: /\/invitation$/, times: 50 });
  expect((await ws.cli(['regenerate', 'acme-to-partner-jira', ...FILE, '--yes'])).code).toBe(1);
  ws.emulator.clearFaults();
  file('outputs', '.exalate/outputs.json');

  // Changed by hand, in ERROR, a connection made by hand, a protected one no longer declared.
  const fs = ws.client('acme-freshservice');
  const desk = (await ws.list('acme-freshservice')).find((c) => c.name === 'service-desk-to-engineering');
  await fs.updateConnection(desk!.id, { description: 'edited by hand' });
  const partner = (await ws.list('acme-freshservice')).find((c) => c.name === 'acme-to-partner-jira');
  ws.emulator.setConnectionError('acme-freshservice', partner!.id, 'sync failed');
  await ws.client('acme-jira').createConnection({
    name: 'made-by-hand',
    description: '',
    localShortName: 'a',
    remoteShortName: 'b',
    configurationType: 'BASIC',
    communication: { type: 'PUBLIC', remoteUrl: 'https://other.example.com' },
  });
  ws.edit((t) => t.slice(0, t.indexOf('  # A public connection to a partner node')));
  await json('plan', ['plan', ...FILE, '--format', 'json', '--prune'], [0]);
  await json('drift', ['drift', ...FILE, '--format', 'json'], [2]);

  // A node that does not report rules (not in listings, no rules endpoint): unknown fields.
  ws.emulator.injectFaults({ kind: 'status', status: 404, method: 'GET', path: /\/rules$/, times: 100 });
  for (const command of ['plan', 'drift'] as const) {
    const io = captureIo(ws.dir, ws.env);
    const code = await main([command, ...FILE, '--format', 'json'], io, { clientFactory: withoutRules });
    expect([0, 2]).toContain(code);
    samples[command].push({ what: `${command} (rules not reported)`, json: JSON.parse(io.stdout()) });
  }
}, 60_000);

afterAll(async () => {
  await ws.close();
});

describe('each JSON output validates against its schema in schemas/', () => {
  test.each(FORMATS)('%s', (format) => {
    expect(samples[format].length).toBeGreaterThan(0);
    const failures = samples[format].flatMap(({ what, json }) =>
      validators[format](json)
        ? []
        : [`${what}: ${ajv.errorsText(validators[format].errors, { separator: '; ' })}`],
    );
    expect(failures).toEqual([]);
  });
});

describe('the schemas follow what the commands really print', () => {
  test.each(FORMATS)('every property of %s.schema.json appears in real output', (format) => {
    const used = new Set<string>();
    for (const { json } of samples[format]) usedPaths(json, schemas[format], schemas[format], '', used);
    const declared = declaredPaths(schemas[format], schemas[format]);
    expect([...declared].filter((p) => !used.has(p))).toEqual([]);
  });

  test('a property a format gains, or a required one it loses, fails validation', () => {
    const plan = samples.plan[0]?.json as Record<string, unknown>;
    expect(validators.plan(plan)).toBe(true);
    expect(validators.plan({ ...plan, createdAt: plan.created_at })).toBe(false);
    const { drift: _drift, ...withoutDrift } = plan;
    expect(validators.plan(withoutDrift)).toBe(false);
  });

  test('are draft-07, closed (additionalProperties: false) and describe every property', () => {
    const problems: string[] = [];
    const walk = (node: Schema, where: string): void => {
      if (node.type === 'object' && node.properties && node.additionalProperties !== false)
        problems.push(`${where}: additionalProperties must be false`);
      for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, Schema>)) {
        if (typeof child.description !== 'string') problems.push(`${where}.${name}: no description`);
        walk(child, `${where}.${name}`);
      }
      const extra = subschema(node.additionalProperties);
      if (extra) walk(extra, `${where}.*`);
      if (typeof node.items === 'object') walk(node.items as Schema, `${where}[]`);
      for (const [name, def] of Object.entries((node.definitions ?? {}) as Record<string, Schema>)) {
        if (typeof def.description !== 'string') problems.push(`${where}#${name}: no description`);
        walk(def, `${where}#${name}`);
      }
    };
    for (const f of FORMATS) {
      expect(schemas[f].$schema).toBe('http://json-schema.org/draft-07/schema#');
      expect(schemas[f].$id).toBe(`https://exalate-iac.dev/schemas/${f}.schema.json`);
      walk(schemas[f], f);
    }
    expect(problems).toEqual([]);
  });

  test('format_version and the field names come from the code', () => {
    expect((schemas.plan.properties as Record<string, Schema>).format_version?.const).toBe(
      PLAN_FORMAT_VERSION,
    );
    expect((schemas.outputs.properties as Record<string, Schema>).format_version?.const).toBe(
      OUTPUTS_FORMAT_VERSION,
    );
    const field = (schemas.plan.definitions as Record<string, Schema>).field as Schema;
    expect(field.enum).toEqual(CONNECTION_FIELDS.map((f) => f.key));
  });
});
