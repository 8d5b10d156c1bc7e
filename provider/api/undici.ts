/**
 * The parts of undici the client uses: a keep-alive pool, `request` on it, and the error classes.
 *
 * undici's entry point loads everything it offers (fetch, WebSocket, EventSource, caches, cookie
 * and proxy support): about 100 ms of every command's start and of every start of the Terraform
 * provider, for code the client never calls. These are the modules behind the entry point's
 * `Pool`, `Dispatcher#request` and `errors`. They are not undici's public API, so package.json
 * pins one undici release, and `provider/api/undici.test.ts` checks that they are the entry
 * point's own.
 */
import type { Dispatcher, Pool as UndiciPool, errors as UndiciErrors } from 'undici';
import PoolModule from 'undici/lib/dispatcher/pool.js';
import errorsModule from 'undici/lib/core/errors.js';
import requestModule from 'undici/lib/api/api-request.js';

export type { Dispatcher };
export const Pool: typeof UndiciPool = PoolModule;
export const errors: typeof UndiciErrors = errorsModule;

/** `dispatcher.request(options)`. */
export function request(
  dispatcher: Dispatcher,
  options: Dispatcher.RequestOptions,
): Promise<Dispatcher.ResponseData> {
  return requestModule.call(dispatcher, options);
}
