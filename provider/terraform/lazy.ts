/**
 * The provider's handlers, loaded on first use. Terraform starts the provider three times per
 * plan, and the first start only asks for the schema: GetMetadata and GetProviderSchema are
 * answered from the schema alone, and the provider itself (the engine, the HTTP client, the
 * configuration checks) is loaded when the first RPC that needs it arrives.
 */
import type { ProviderHandlers } from './plugin';
import { providerMetadata, providerSchema } from './schema';

/** The handlers the provider implements beyond the schema's two (a test keeps this list whole). */
export const LOADED_HANDLERS = [
  'validateProviderConfig',
  'configureProvider',
  'validateResourceConfig',
  'validateDataResourceConfig',
  'upgradeResourceState',
  'readResource',
  'planResourceChange',
  'applyResourceChange',
  'importResourceState',
  'readDataSource',
] as const satisfies readonly (keyof ProviderHandlers)[];

type Handler = (req: unknown, ctx: unknown) => unknown;

/** Handlers that answer the schema at once and call `load()`'s handlers for everything else. */
export function lazyHandlers(load: () => Promise<ProviderHandlers>): ProviderHandlers {
  const handlers: Record<string, Handler> = {
    getMetadata: () => providerMetadata(),
    getProviderSchema: () => providerSchema(),
  };
  for (const name of LOADED_HANDLERS) {
    handlers[name] = async (req, ctx) => {
      const handler = (await load())[name] as Handler | undefined;
      if (!handler) throw new Error(`${name} is not implemented`);
      return handler(req, ctx);
    };
  }
  return handlers as ProviderHandlers;
}
