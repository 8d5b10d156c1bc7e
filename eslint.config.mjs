import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Layers point one way (see docs/contributing.md): a door (CLI, Terraform plugin, constructs)
 * may use the engine; the engine never imports a door, never prints, never exits and never reads
 * `process.env`. Each folder lists what it must not import; tests are exempt.
 */
const layer = (name, forbidden) => ({
  group: forbidden.flatMap((f) => [`**/${f}/*`, `**/${f}`]),
  message: `${name} must not import ${forbidden.join(', ')}: layers point one way (docs/contributing.md).`,
});
const DOORS = ['cli', 'terraform', 'constructs'];
const ENGINE_SIDE_EFFECTS = [
  {
    object: 'process',
    property: 'env',
    message: 'The engine takes the environment from its caller (an Env).',
  },
  { object: 'process', property: 'exit', message: 'Only the CLI exits.' },
  { object: 'process', property: 'stdout', message: 'Only the doors print.' },
  { object: 'process', property: 'stderr', message: 'Only the doors print.' },
  { object: 'console', property: 'log', message: 'Only the doors print.' },
  { object: 'console', property: 'error', message: 'Only the doors print.' },
  { object: 'console', property: 'warn', message: 'Only the doors print.' },
];
const rules = (patterns, extra = {}) => ({
  'no-restricted-imports': ['error', { patterns }],
  ...extra,
});

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'coverage/',
      '**/*.generated.ts',
      'provider/terraform/plugin/gen/',
      'test/fixtures/',
      'cdktf.out/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['provider/util/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: rules([layer('provider/util', ['model', 'config', 'api', 'engine', 'emulator', ...DOORS])]),
  },
  {
    files: ['provider/model/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: rules([layer('provider/model', ['config', 'api', 'engine', 'emulator', ...DOORS])], {
      'no-restricted-properties': ['error', ...ENGINE_SIDE_EFFECTS],
    }),
  },
  {
    files: ['provider/config/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: rules([layer('provider/config', ['api', 'engine', 'emulator', ...DOORS])], {
      'no-restricted-properties': ['error', ...ENGINE_SIDE_EFFECTS],
    }),
  },
  {
    files: ['provider/api/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: rules([layer('provider/api', ['config', 'engine', 'emulator', ...DOORS])], {
      'no-restricted-properties': ['error', ...ENGINE_SIDE_EFFECTS],
    }),
  },
  {
    files: ['provider/engine/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: rules([layer('provider/engine', ['emulator', ...DOORS])], {
      'no-restricted-properties': ['error', ...ENGINE_SIDE_EFFECTS],
    }),
  },
  {
    files: ['emulator/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: rules([layer('emulator', ['config', 'engine', ...DOORS])]),
  },
  {
    files: ['constructs/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: rules([layer('constructs', ['api', 'engine', 'emulator', 'cli', 'terraform'])]),
  },
  {
    files: ['provider/terraform/**/*.ts'],
    ignores: ['**/*.test.ts', '**/__fixtures__/**'],
    rules: rules([layer('provider/terraform', ['cli', 'constructs', 'emulator'])]),
  },
);
