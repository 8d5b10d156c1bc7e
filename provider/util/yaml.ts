/**
 * The `yaml` library, loaded on first use: a valid connections file is read without it (see
 * `config/fast-yaml.ts`), and a node's API description is read only by `check-node`; loading it
 * costs every other command about 30 ms of start-up.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const yaml = (): typeof import('yaml') => require('yaml') as typeof import('yaml');
