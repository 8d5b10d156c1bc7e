/**
 * The npm package as a team uses it: `npm pack` of what `npm run build` produced, installed with
 * `npm install <tarball> --offline` into a project of its own (from the npm cache this machine
 * filled when it installed this repository), then used there: the CLI through `npx --no-install`,
 * the schema through a modeline into node_modules, the library and the constructs through the
 * package's `exports` (type-checked by this repository's TypeScript and run by Node), and the
 * Terraform provider laid out as a filesystem mirror and started as Terraform starts it.
 */
import { execFile, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { getLanguageService } from 'yaml-language-server/lib/umd/languageservice/yamlLanguageService';
import { startPlugin } from '../provider/terraform/plugin/test-client';
import { ROOT, tempDir } from './helpers';

jest.setTimeout(120_000);

/** The modeline the README gives for a connections file at the root of a team's repository. */
const MODELINE =
  '# yaml-language-server: $schema=node_modules/exalate-iac/schemas/exalate-connections.schema.json';
const SCHEMA_ID = 'https://exalate-iac.dev/schemas/exalate-connections.schema.json';

/** A team's connections file: valid, offline (no variable needs a value to validate or synthesize). */
const CONNECTIONS = `${MODELINE}
version: 1
owner: platform-team
nodes:
  service-desk:
    url: \${SERVICE_DESK_URL}
    platform: freshservice
    token: \${SERVICE_DESK_TOKEN}
connections:
  - name: escalations
    node: service-desk
    localShortName: desk
    remoteShortName: partner
    mode: basic
    private: true
`;

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  [key: string]: unknown;
}

/**
 * A lock file for the team's project, cut from this repository's: the packages the tarball's
 * dependencies, cdktf and constructs resolve to, at the same places. `npm install --offline`
 * then takes them from the cache by integrity: the cache holds the tarballs `npm ci` fetched, not
 * the registry's package documents that resolving a version range would need.
 */
function consumerProject(): { packageJson: object; lock: object } {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const at = (p: string): LockEntry => {
    const entry = lock.packages[p];
    if (!entry) throw new Error(`package-lock.json has no ${p}: run npm ci`);
    return entry;
  };
  // Node's lookup: the nearest node_modules/NAME from `from` up to the root.
  const resolve = (from: string, name: string): string | undefined => {
    for (let dir = from; ;) {
      const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (lock.packages[candidate]) return candidate;
      if (!dir) return undefined;
      const i = dir.lastIndexOf('/node_modules/');
      dir = i < 0 ? '' : dir.slice(0, i);
    }
  };
  const peers = {
    cdktf: at('node_modules/cdktf').version as string,
    constructs: at('node_modules/constructs').version as string,
  };
  const keep = new Set<string>();
  const queue = [...Object.keys(pkg.dependencies), ...Object.keys(peers)].map((n) => resolve('', n));
  while (queue.length > 0) {
    const p = queue.pop();
    if (p === undefined || keep.has(p)) continue;
    keep.add(p);
    const e = at(p);
    for (const name of Object.keys({ ...e.dependencies, ...e.optionalDependencies, ...e.peerDependencies }))
      queue.push(resolve(p, name));
  }
  const packageJson = { name: 'team-repo', version: '1.0.0', private: true, dependencies: peers };
  const packages: Record<string, object> = {
    '': { name: 'team-repo', version: '1.0.0', dependencies: peers },
  };
  for (const p of [...keep].sort()) {
    // Flags are recomputed by npm for this project's tree.
    const { dev: _d, optional: _o, devOptional: _do, peer: _p, ...entry } = at(p);
    packages[p] = entry;
  }
  return {
    packageJson,
    lock: { name: 'team-repo', version: '1.0.0', lockfileVersion: 3, requires: true, packages },
  };
}

let work: { dir: string; cleanup: () => void };
let project: string;
let tarballFiles: string[];
let env: NodeJS.ProcessEnv;

function run(command: string, args: string[], cwd = project): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 110_000 });
}

/** Fails with the command's output, which says why. */
function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  for (const built of [
    'dist/provider/index.d.ts',
    'dist/constructs/index.d.ts',
    'dist/terraform-provider-exalate.js',
  ])
    if (!existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: run npm run build`);
  work = tempDir('exalate-package-');
  project = path.join(work.dir, 'team-repo');
  const tmp = path.join(work.dir, 'tmp');
  mkdirSync(project);
  mkdirSync(tmp);
  // The outer npm's settings for this repository (npm test) must not leak into the team's project;
  // the cache stays where it is. npm's logs and temporary files (the demo's, the plugin's socket)
  // stay in `work`.
  env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(npm_|INIT_CWD$)/i.test(k) || /^npm_config_cache$/i.test(k),
    ),
  );
  delete env.GITHUB_ACTIONS;
  delete env.GITHUB_OUTPUT;
  Object.assign(env, {
    TMPDIR: tmp,
    NO_COLOR: '1',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_logs_dir: path.join(work.dir, 'npm-logs'),
  });

  // What `npm run build` produced, packed as `npm publish` would (without building again while
  // other tests use dist/).
  const packed = JSON.parse(
    ok(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work.dir], ROOT), 'npm pack'),
  ) as { filename: string; files: { path: string }[] }[];
  const tarball = path.join(work.dir, packed[0]?.filename ?? '');
  tarballFiles = (packed[0]?.files ?? []).map((f) => f.path).sort();

  const { packageJson, lock } = consumerProject();
  writeFileSync(path.join(project, 'package.json'), JSON.stringify(packageJson, null, 2));
  writeFileSync(path.join(project, 'package-lock.json'), JSON.stringify(lock, null, 2));
  ok(
    run('npm', ['install', '--offline', '--engine-strict', '--save-dev', path.relative(project, tarball)]),
    'npm install --offline',
  );
  writeFileSync(path.join(project, 'connections.exalate.yaml'), CONNECTIONS);
}, 300_000);

afterAll(() => work?.cleanup());

describe('the packed tarball', () => {
  test('holds what the CLI, the library and the provider need at run time, and nothing else', () => {
    const allowed = [
      /^bin\/(exalate-iac|terraform-provider-exalate)\.js$/,
      /^dist\/(provider|emulator|constructs)\/.+\.(js|d\.ts)$/,
      /^dist\/terraform-provider-exalate\.js(\.LEGAL\.txt)?$/,
      /^schemas\/[\w.-]+\.(json|yaml)$/,
      /^examples\/connections\.exalate\.yaml$/,
      /^examples\/rules\/[\w-]+\.groovy$/,
      /^(package\.json|README\.md|LICENSE|CHANGELOG\.md)$/,
    ];
    expect(tarballFiles.filter((f) => !allowed.some((re) => re.test(f)))).toEqual([]);
    expect(
      tarballFiles.filter((f) =>
        /^dist\/bench\/|\.test\.|__fixtures__|test-client|\.map$|tsbuildinfo|^dist\/provider\/terraform\//.test(
          f,
        ),
      ),
    ).toEqual([]);
    expect(tarballFiles).toEqual(
      expect.arrayContaining([
        'bin/exalate-iac.js',
        'bin/terraform-provider-exalate.js',
        'dist/terraform-provider-exalate.js',
        'dist/provider/cli/main.js',
        'dist/provider/index.js',
        'dist/provider/index.d.ts',
        'dist/constructs/index.js',
        'dist/constructs/index.d.ts',
        'schemas/exalate-connections.schema.json',
        'examples/connections.exalate.yaml',
        'examples/rules/incoming.groovy',
        'examples/rules/outgoing.groovy',
        'LICENSE',
        'CHANGELOG.md',
        'README.md',
      ]),
    );
  });

  test('is publishable: not private, entry points exported with types, Node 20 allowed', () => {
    const pkg = JSON.parse(readFileSync(path.join(project, 'node_modules/exalate-iac/package.json'), 'utf8'));
    expect(pkg.private).toBeUndefined();
    expect(pkg.license).toBe('MPL-2.0');
    expect(pkg.engines).toEqual({ node: '>=20.18.1' });
    expect(pkg.exports['.']).toEqual({
      types: './dist/provider/index.d.ts',
      default: './dist/provider/index.js',
    });
    expect(pkg.exports['./cdktf']).toEqual({
      types: './dist/constructs/index.d.ts',
      default: './dist/constructs/index.js',
    });
    expect(pkg.exports['./package.json']).toBe('./package.json');
    // Both commands are installed (npm links the bins of a dependency).
    for (const bin of ['exalate-iac', 'terraform-provider-exalate'])
      expect(existsSync(path.join(project, 'node_modules', '.bin', bin))).toBe(true);
  });
});

describe('in a team repository that installed the tarball', () => {
  test('npx --no-install exalate-iac demo runs the whole journey from the installed examples', () => {
    const r = run('npx', ['--no-install', 'exalate-iac', 'demo']);
    expect(r.status).toBe(0);
  });

  test('validate checks a file whose modeline points into node_modules, and an editor finds the schema there', async () => {
    const r = run('npx', [
      '--no-install',
      'exalate-iac',
      'validate',
      'connections.exalate.yaml',
      '--format',
      'json',
    ]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      valid: true,
      errors: 0,
      files: [{ nodes: 1, connections: 1 }],
    });

    const schemaFile = path.join(project, 'node_modules/exalate-iac/schemas/exalate-connections.schema.json');
    expect(JSON.parse(readFileSync(schemaFile, 'utf8')).$id).toBe(SCHEMA_ID);
    // The README gives this modeline and this $id.
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect({ modeline: readme.includes(MODELINE), id: readme.includes(SCHEMA_ID) }).toEqual({
      modeline: true,
      id: true,
    });

    // A JSON-Schema-aware editor loads the schema the modeline names: no diagnostics for the
    // file, the schema's for a wrong value (a schema it could not load would be a diagnostic too).
    const service = getLanguageService({
      schemaRequestService: async (uri: string) => readFileSync(fileURLToPath(uri), 'utf8'),
      workspaceContext: {
        resolveRelativePath: (rel: string, resource: string) => new URL(rel, resource).toString(),
      },
    });
    service.configure({ validate: true });
    const uri = pathToFileURL(path.join(project, 'connections.exalate.yaml')).toString();
    expect(await service.doValidation(TextDocument.create(uri, 'yaml', 1, CONNECTIONS), false)).toEqual([]);
    const wrong = CONNECTIONS.replace('mode: basic', 'mode: scripted');
    const diagnostics = await service.doValidation(TextDocument.create(uri, 'yaml', 2, wrong), false);
    expect(diagnostics.map((d) => d.range.start.line)).toEqual([
      wrong.split('\n').indexOf('    mode: scripted'),
    ]);
  });

  test('TypeScript resolves exalate-iac and exalate-iac/cdktf with their types (node16, bundler, and the cdktf template settings)', async () => {
    writeFileSync(
      path.join(project, 'main.ts'),
      `import { App, TerraformStack } from 'cdktf';
import { ExalateConnectionsFromYaml, type ExalateConnection } from 'exalate-iac/cdktf';
import { IacError, main, type Io, type Plan } from 'exalate-iac';

const app = new App({ outdir: 'cdktf.out' });
const stack = new TerraformStack(app, 'exalate');
const connections = new ExalateConnectionsFromYaml(stack, 'connections', { file: 'connections.exalate.yaml' });
const first: ExalateConnection | undefined = connections.connections.get('service-desk/escalations');
// @ts-expect-error the file is required (the props are typed, not any)
new ExalateConnectionsFromYaml(stack, 'no-file', {});

const io: Io = { out: () => undefined, err: () => undefined, env: {}, cwd: '.', isTty: false };
const status: Promise<number> = main(['validate', 'connections.exalate.yaml'], io);
// @ts-expect-error argv is a list of words (main is typed, not any)
void main('validate');
const kinds = (plan: Plan): string[] => plan.actions.map((a) => a.kind);
// @ts-expect-error an action kind is one of a few words (the engine's types, not any)
const kind: Plan['actions'][number]['kind'] = 'explode';
void [first, status, kinds, kind, IacError];
`,
    );
    const configs: Record<string, object> = {
      // Resolution that honours the package's `exports`.
      'tsconfig.node16.json': { module: 'node16', moduleResolution: 'node16', target: 'ES2022' },
      'tsconfig.bundler.json': { module: 'esnext', moduleResolution: 'bundler', target: 'ES2022' },
      // What `cdktf init --template=typescript` writes: CommonJS, hence Node10 resolution.
      'tsconfig.cdktf.json': { module: 'CommonJS', target: 'ES2018', lib: ['es2018'] },
    };
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const results = await Promise.all(
      Object.entries(configs).map(([file, options]) => {
        const compilerOptions = { ...options, strict: true, noEmit: true, skipLibCheck: true };
        writeFileSync(path.join(project, file), JSON.stringify({ compilerOptions, files: ['main.ts'] }));
        return new Promise<{ file: string; status: number | null; out: string }>((resolve) => {
          execFile(process.execPath, [tsc, '-p', file], { cwd: project, env }, (error, stdout) =>
            resolve({
              file,
              status: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
              out: stdout,
            }),
          );
        });
      }),
    );
    expect(results).toEqual(Object.keys(configs).map((file) => ({ file, status: 0, out: '' })));
  });

  test('Node loads the library, the schema and the constructs through exports, and the constructs synthesize', () => {
    writeFileSync(
      path.join(project, 'synth.js'),
      `const { App, TerraformStack } = require('cdktf');
const { ExalateConnectionsFromYaml } = require('exalate-iac/cdktf');
const lib = require('exalate-iac');
const app = new App({ outdir: 'cdktf.out' });
const stack = new TerraformStack(app, 'exalate');
const c = new ExalateConnectionsFromYaml(stack, 'connections', { file: 'connections.exalate.yaml' });
app.synth();
let deep = 'exported';
try { require('exalate-iac/dist/provider/cli/main.js'); } catch (e) { deep = e.code; }
console.log(JSON.stringify({
  version: require('exalate-iac/package.json').version,
  main: typeof lib.main,
  startEmulator: typeof lib.startEmulator,
  schema: require.resolve('exalate-iac/schemas/exalate-connections.schema.json'),
  connections: [...c.connections.keys()],
  deep,
}));
`,
    );
    const out = JSON.parse(ok(run(process.execPath, ['synth.js']), 'synth.js'));
    expect(out).toEqual({
      version: JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
      main: 'function',
      startEmulator: 'function',
      schema: path.join(project, 'node_modules/exalate-iac/schemas/exalate-connections.schema.json'),
      connections: ['service-desk/escalations'],
      // Only the entry points are public.
      deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    });
    const synthesized = JSON.parse(
      readFileSync(path.join(project, 'cdktf.out/stacks/exalate/cdk.tf.json'), 'utf8'),
    );
    expect(Object.keys(synthesized.resource.exalate_connection)).toHaveLength(1);
    expect(Object.keys(synthesized.provider)).toEqual(['exalate']);
  });

  test('npx --no-install exalate-iac provider install lays out a mirror whose provider starts as Terraform starts it', async () => {
    const r = run('npx', ['--no-install', 'exalate-iac', 'provider', 'install', '--format', 'json']);
    expect(r.status).toBe(0);
    const installed = JSON.parse(r.stdout) as { file: string; changed: boolean; source: string };
    expect(installed.changed).toBe(true);
    expect(path.relative(project, installed.file).startsWith(path.join('terraform.d', 'plugins', ''))).toBe(
      true,
    );
    expect(existsSync(installed.file)).toBe(true);

    const plugin = await startPlugin({ command: [installed.file], env, tls: false });
    try {
      expect(plugin.handshake.protocolVersion).toBe(6);
      const schema = await plugin.provider.getProviderSchema({});
      expect(Object.keys(schema.resourceSchemas)).toEqual(['exalate_connection']);
      expect(await plugin.shutdown()).toEqual({ code: 0, signal: null });
    } finally {
      plugin.dispose();
    }
  });
});
