/**
 * `terraform-provider-exalate`: started by Terraform (go-plugin handshake); run by hand it says
 * so and exits 1. Nothing but the handshake line reaches stdout. The provider is loaded after the
 * handshake, on the first RPC that needs it (`lazy.ts`).
 */
import { setFlagsFromString } from 'node:v8';
import { lazyHandlers } from './lazy';
import { servePluginOrExit } from './plugin';
import { PROVIDER_NAME } from './schema';
import type { ExalateProviderServer } from './provider';

// The HTTP client (undici) parses HTTP with WebAssembly, which V8 would also compile with its
// optimizing tier in the background: about 250 ms of CPU that a provider process living a second
// never earns back, and Terraform waits for the process to exit. The baseline compiler is enough.
setFlagsFromString('--liftoff-only');

let server: Promise<ExalateProviderServer> | undefined;
const load = () =>
  (server ??= import('./provider').then((m) => new m.ExalateProviderServer(process.env))).then((s) =>
    s.handlers(),
  );

void servePluginOrExit(lazyHandlers(load), {
  name: PROVIDER_NAME,
  onShutdown: async () => {
    if (server) await (await server).close();
  },
});
