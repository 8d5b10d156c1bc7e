/** @type {import('jest').Config} */
const base = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};

module.exports = {
  testTimeout: 120000,
  projects: [
    {
      ...base,
      displayName: 'exalate-iac',
      roots: ['<rootDir>/provider', '<rootDir>/emulator', '<rootDir>/constructs', '<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
    },
    {
      // The constructs' tests again on CDK Terrain (cdktn, the continuation of CDKTF): the one
      // module importing cdktf (constructs/cdktf.ts) is all that differs, so an alias proves it.
      ...base,
      displayName: 'constructs on cdktn',
      roots: ['<rootDir>/constructs'],
      testMatch: ['**/constructs.test.ts'],
      moduleNameMapper: {
        '^cdktf$': 'cdktn',
        '^cdktf/lib/testing/adapters/jest$': 'cdktn/lib/testing/adapters/jest',
      },
    },
  ],
};
