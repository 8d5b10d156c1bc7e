/**
 * The one URL policy, for the configuration (`validate`) and the node client alike. Messages
 * never repeat the value: a token pasted where a URL belongs must not be echoed.
 */
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

export type UrlProblem =
  | { kind: 'not-a-url'; message: string }
  | { kind: 'scheme'; message: string }
  | { kind: 'credentials'; message: string }
  | { kind: 'insecure'; message: string };

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK.test(hostname);
}

/**
 * Why `url` cannot be a node URL, or undefined. Plain http:// is refused for hosts other than
 * loopback unless `allowInsecureHttp` (the configuration check leaves that to run time, where
 * the environment can allow it).
 */
export function nodeUrlProblem(
  url: string,
  options: { allowInsecureHttp?: boolean; checkInsecure?: boolean } = {},
): UrlProblem | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return {
      kind: 'not-a-url',
      message:
        'not a URL (write https://host/… or ${ENV_VAR}); the value is not repeated in case it is a secret',
    };
  }
  if (parsed.username || parsed.password) {
    return {
      kind: 'credentials',
      message:
        'credentials in a URL are a literal secret: remove them and put the token in an environment variable',
    };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return { kind: 'scheme', message: `unsupported URL scheme '${parsed.protocol}': use https://` };
  }
  if (
    options.checkInsecure !== false &&
    parsed.protocol === 'http:' &&
    !isLoopbackHost(parsed.hostname) &&
    !options.allowInsecureHttp
  ) {
    return {
      kind: 'insecure',
      message:
        `refusing plain http:// to ${parsed.host}: the token would travel unencrypted; use https:// ` +
        '(on a trusted network: EXALATE_ALLOW_INSECURE_HTTP=1, or the allowInsecureHttp option)',
    };
  }
  return undefined;
}
