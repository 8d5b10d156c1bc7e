import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { getLanguageService } from 'yaml-language-server/lib/umd/languageservice/yamlLanguageService';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ROOT, tempDir } from './helpers';

const SCHEMA_FILE = path.join(ROOT, 'schemas', 'exalate-connections.schema.json');
const EXAMPLE = path.join(ROOT, 'examples', 'connections.exalate.yaml');

describe('the connections JSON Schema', () => {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));

  test('the TypeScript types and the compiled validator on disk are generated from it (run `npm run schema` when this fails)', () => {
    // The generator loads prettier through dynamic import, which jest's VM cannot: run it as a process.
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'generate-types.js'), '--check'], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('the staleness check fails when the schema changes', () => {
    const { dir, cleanup } = tempDir();
    try {
      // A copy of the generator and schema with one description changed must be reported stale.
      for (const rel of [
        'scripts/generate-types.js',
        'schemas/exalate-connections.schema.json',
        'provider/model/file-format.generated.ts',
        'provider/config/schema-validator.generated.ts',
      ]) {
        mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        copyFileSync(path.join(ROOT, rel), path.join(dir, rel));
      }
      symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
      const schemaFile = path.join(dir, 'schemas', 'exalate-connections.schema.json');
      writeFileSync(
        schemaFile,
        readFileSync(schemaFile, 'utf8').replace('Only 1 exists.', 'Only 1 exists today.'),
      );
      const r = spawnSync(process.execPath, [path.join(dir, 'scripts', 'generate-types.js'), '--check'], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('provider/model/file-format.generated.ts is stale');
      expect(r.stderr).toContain('provider/config/schema-validator.generated.ts is stale');
    } finally {
      cleanup();
    }
  });

  test('is draft-07 and describes every property, with examples or a default', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const missing: string[] = [];
    const walk = (node: Record<string, unknown>, where: string) => {
      const props = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const [name, prop] of Object.entries(props)) {
        if (typeof prop.description !== 'string') missing.push(`${where}.${name}: description`);
        if (
          !('examples' in prop) &&
          !('default' in prop) &&
          !('$ref' in prop) &&
          prop.type !== 'object' &&
          prop.type !== 'array'
        ) {
          missing.push(`${where}.${name}: examples`);
        }
        walk(prop, `${where}.${name}`);
      }
    };
    walk(schema, '#');
    for (const [name, def] of Object.entries(schema.definitions as Record<string, Record<string, unknown>>)) {
      expect(typeof def.description).toBe('string');
      expect(def.additionalProperties).toBe(false);
      walk(def, `#/definitions/${name}`);
    }
    expect(missing).toEqual([]);
  });
});

describe('a JSON-Schema-aware YAML editor (yaml-language-server) uses the published schema', () => {
  const service = getLanguageService({
    schemaRequestService: async (uri: string) => readFileSync(fileURLToPath(uri), 'utf8'),
    workspaceContext: {
      resolveRelativePath: (relative: string, resource: string) => new URL(relative, resource).toString(),
    },
  });
  service.configure({ validate: true, completion: true, hover: true });
  const uri = pathToFileURL(EXAMPLE).toString();

  // The service caches parsed documents by URI and version: every text gets a new version.
  let version = 0;
  const open = (text: string) => TextDocument.create(uri, 'yaml', ++version, text);

  test('the example file, found through its modeline, has no diagnostics', async () => {
    const text = readFileSync(EXAMPLE, 'utf8');
    expect(text.split('\n')[0]).toBe(
      '# yaml-language-server: $schema=../schemas/exalate-connections.schema.json',
    );
    expect(await service.doValidation(open(text), false)).toEqual([]);
  });

  test('diagnostics flag an unknown property and a wrong enum value', async () => {
    const text = readFileSync(EXAMPLE, 'utf8')
      .replace('mode: script', 'mode: scripted')
      .replace('protect: true', 'protekt: true');
    const diagnostics = await service.doValidation(open(text), false);
    const messages = diagnostics.map((d) => d.message).join('\n');
    expect(messages).toMatch(
      /Value is not accepted\. Valid values: "basic", "visual", "script", "ai-assist"/,
    );
    expect(messages).toMatch(/Property protekt is not allowed/);
  });

  test('completion inside a connection offers the schema properties with their descriptions', async () => {
    const text =
      '# yaml-language-server: $schema=../schemas/exalate-connections.schema.json\nversion: 1\nconnections:\n  - name: x\n    \n';
    const list = await service.doComplete(open(text), { line: 4, character: 4 }, false);
    const labels = list.items.map((i) => i.label);
    expect(labels).toEqual(
      expect.arrayContaining(['localShortName', 'remoteShortName', 'mode', 'private', 'rules', 'triggers']),
    );
    const mode = list.items.find((i) => i.label === 'mode');
    expect(JSON.stringify(mode?.documentation)).toContain('Configuration mode');
  });

  test('completion of a mode value lists the four modes', async () => {
    const text =
      '# yaml-language-server: $schema=../schemas/exalate-connections.schema.json\nversion: 1\nconnections:\n  - mode: \n';
    const list = await service.doComplete(open(text), { line: 3, character: 10 }, false);
    expect(list.items.map((i) => i.label).sort()).toEqual(['ai-assist', 'basic', 'script', 'visual']);
  });
});
