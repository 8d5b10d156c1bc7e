// The field registry is the one description of a connection: the JSON Schema, the constructs'
// attributes, the Terraform provider's schema and the README table must all agree with it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { terraformAttributes } from '../constructs/connection';
import type { ExalateProvider } from '../constructs/provider';
import { CONNECTION_FIELDS, TRIGGER_FIELDS } from '../provider/model/fields';
import { COMPUTED_ATTRIBUTES, providerSchema } from '../provider/terraform/schema';
import { ROOT } from './helpers';

interface SchemaNode {
  properties?: Record<string, SchemaNode & { default?: unknown }>;
  required?: string[];
  $ref?: string;
  items?: SchemaNode;
}
const schema = JSON.parse(
  readFileSync(path.join(ROOT, 'schemas', 'exalate-connections.schema.json'), 'utf8'),
) as {
  definitions: Record<string, SchemaNode>;
};

/** Every leaf field of the connection in the schema, as dotted YAML paths (rules.outgoing, remote.url…). */
function schemaFields(): Map<string, { required: boolean; default: unknown }> {
  const out = new Map<string, { required: boolean; default: unknown }>();
  const conn = schema.definitions.connection as SchemaNode;
  for (const [key, prop] of Object.entries(conn.properties ?? {})) {
    const required = (conn.required ?? []).includes(key);
    if (prop.properties && key !== 'triggers') {
      for (const sub of Object.keys(prop.properties))
        out.set(`${key}.${sub}`, { required: false, default: undefined });
    } else {
      out.set(key, { required, default: prop.default });
    }
  }
  return out;
}

describe('the field registry', () => {
  test('has exactly the fields of the JSON Schema, with the same required flags and defaults', () => {
    const fromSchema = schemaFields();
    expect(CONNECTION_FIELDS.map((f) => f.key).sort()).toEqual([...fromSchema.keys()].sort());
    for (const f of CONNECTION_FIELDS) {
      const s = fromSchema.get(f.key);
      expect({ field: f.key, required: f.required, default: f.default }).toEqual({
        field: f.key,
        required: s?.required,
        default: s?.default,
      });
    }
  });

  test('has exactly the trigger fields of the JSON Schema', () => {
    const trigger = schema.definitions.trigger as SchemaNode;
    expect(TRIGGER_FIELDS.map((f) => f.key).sort()).toEqual(Object.keys(trigger.properties ?? {}).sort());
    for (const f of TRIGGER_FIELDS)
      expect([f.key, f.required]).toEqual([f.key, (trigger.required ?? []).includes(f.key)]);
  });

  test('names every attribute the constructs synthesize, and nothing else', () => {
    const attributes = terraformAttributes({
      provider: {} as ExalateProvider,
      name: 'n',
      node: 'a',
      localShortName: 'l',
      remoteShortName: 'r',
      mode: 'script',
      private: false,
      remote: { node: 'b' },
      incomingScope: 'ENG',
      description: 'd',
      enabled: true,
      protect: false,
      rules: { outgoing: 'o', incoming: 'i' },
      triggers: [{ entityType: 'ticket', query: 'q', active: true, notes: 'n' }],
    });
    const names = Object.entries(attributes).flatMap(([k, v]) =>
      k === 'rules' ? Object.keys(v as object).map((sub) => `rules.${sub}`) : [k],
    );
    expect(names.sort()).toEqual(CONNECTION_FIELDS.map((f) => f.tf).sort());
    expect(Object.keys((attributes.triggers as object[])[0] as object).sort()).toEqual(
      TRIGGER_FIELDS.map((f) => f.tf).sort(),
    );
  });

  test("names every attribute of the Terraform provider's exalate_connection, besides the computed ones", () => {
    const block = providerSchema().resourceSchemas.exalate_connection?.block;
    const attributes = (block?.attributes ?? []).flatMap((a) =>
      a.nestedType && a.name === 'rules' ? a.nestedType.attributes.map((n) => `rules.${n.name}`) : [a.name],
    );
    const computed = COMPUTED_ATTRIBUTES.map((a) => a.name);
    expect(attributes.filter((a) => !computed.includes(a)).sort()).toEqual(
      CONNECTION_FIELDS.map((f) => f.tf).sort(),
    );
    const triggers = block?.attributes.find((a) => a.name === 'triggers');
    expect(triggers?.nestedType?.attributes.map((a) => a.name).sort()).toEqual(
      TRIGGER_FIELDS.map((f) => f.tf).sort(),
    );
    // Required exactly where the registry says so; descriptions are the registry's.
    for (const f of CONNECTION_FIELDS.filter((x) => !x.tf.includes('.') && x.key !== 'triggers')) {
      const a = block?.attributes.find((x) => x.name === f.tf);
      expect([f.tf, a?.required, a?.description]).toEqual([f.tf, f.required, f.doc]);
    }
  });

  test("the README's field table is the one generated from it", () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'generate-docs.js'), '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
