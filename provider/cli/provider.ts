import * as path from 'node:path';
import { installExecutable } from '../util/mirror';
import {
  DEFAULT_MIRROR_DIR,
  mirrorPath,
  PROVIDER_SOURCE,
  requiredProvidersBlock,
} from '../model/distribution';
import { packageRoot, packageVersion } from '../util/paths';
import { parseCommandArgs } from './args';
import { UsageError } from './errors';
import { Io } from './io';

const HELP = `Usage: exalate-iac provider install [--dir DIR] [--format text|json]

Lay out the exalate Terraform provider (${PROVIDER_SOURCE}) as a filesystem mirror that
\`terraform init\` finds: by default ./${DEFAULT_MIRROR_DIR}, the implied local mirror of the
directory Terraform runs in. Idempotent. Prints the required_providers block to use.

  --dir DIR        the mirror folder (default: ${DEFAULT_MIRROR_DIR})
  --format FORMAT  text (default) or json

After an upgrade of exalate-iac, run it again and \`terraform init -upgrade\` (the checksum in
.terraform.lock.hcl changes with the provider).`;

export async function run(argv: string[], io: Io): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { dir: { type: 'string', default: DEFAULT_MIRROR_DIR }, format: { type: 'string', default: 'text' } },
    HELP,
    io.out,
  );
  if (!args) return 0;
  const [sub, ...rest] = args.positionals;
  if (sub !== 'install' || rest.length > 0)
    throw new UsageError("the only subcommand is 'install'. See --help.");
  if (args.values.format !== 'text' && args.values.format !== 'json')
    throw new UsageError(`--format must be text or json, got '${args.values.format}'`);
  const version = packageVersion();
  const executable = path.join(packageRoot(), 'dist', 'terraform-provider-exalate.js');
  const dir = path.resolve(io.cwd, args.values.dir);
  let result;
  try {
    result = installExecutable(dir, mirrorPath(version, process.platform, process.arch), executable);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(
      code === 'ENOENT' && (error as NodeJS.ErrnoException).path === executable
        ? 'the provider is not built (dist/terraform-provider-exalate.js is missing): run npm run build'
        : `cannot write in ${args.values.dir} (${code})`,
    );
  }
  if (args.values.format === 'json') {
    io.out(
      JSON.stringify(
        { format_version: '1', source: PROVIDER_SOURCE, version, file: result.file, changed: result.changed },
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  const shown = path.relative(io.cwd, result.file) || result.file;
  io.out(
    `${result.changed ? 'Installed' : 'Already installed:'} ${PROVIDER_SOURCE} ${version} at ${shown}\n\n`,
  );
  io.out(`Use it with:\n\n${requiredProvidersBlock(version)}\n`);
  return 0;
}
