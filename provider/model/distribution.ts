/**
 * Where the Terraform provider lives: a source address on a hostname no registry serves, so a
 * missing local mirror fails loudly instead of downloading someone else's binary. The version is
 * the package's. Used by `exalate-iac provider install`, the CDKTF constructs and the docs.
 */
export const PROVIDER_HOST = 'exalate-iac.local';
export const PROVIDER_NAMESPACE = 'exalate';
export const PROVIDER_TYPE = 'exalate';
export const PROVIDER_SOURCE = `${PROVIDER_HOST}/${PROVIDER_NAMESPACE}/${PROVIDER_TYPE}`;
/** The folder of an implied local mirror, relative to the directory Terraform runs in. */
export const DEFAULT_MIRROR_DIR = 'terraform.d/plugins';

/** Terraform's name for this platform (`linux_amd64`, `darwin_arm64`, `windows_amd64`…). */
export function terraformPlatform(platform: string, arch: string): string {
  const os = platform === 'win32' ? 'windows' : platform;
  const cpu = arch === 'x64' ? 'amd64' : arch === 'ia32' ? '386' : arch;
  return `${os}_${cpu}`;
}

/** The provider executable's path inside a mirror folder. */
export function mirrorPath(version: string, platform: string, arch: string): string[] {
  return [
    PROVIDER_HOST,
    PROVIDER_NAMESPACE,
    PROVIDER_TYPE,
    version,
    terraformPlatform(platform, arch),
    `terraform-provider-${PROVIDER_TYPE}_v${version}`,
  ];
}

/** The `required_providers` entry a configuration needs. */
export function requiredProvidersBlock(version: string): string {
  return [
    'terraform {',
    '  required_providers {',
    `    ${PROVIDER_TYPE} = {`,
    `      source  = "${PROVIDER_SOURCE}"`,
    `      version = "${version}"`,
    '    }',
    '  }',
    '}',
  ].join('\n');
}
