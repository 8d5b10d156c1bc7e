/**
 * `terraform-provider-exalate`: started by Terraform (go-plugin handshake); run by hand it says
 * so and exits 1. Nothing but the handshake line reaches stdout.
 */
import { setFlagsFromString } from 'node:v8';
import { servePluginOrExit } from './plugin';
import { ExalateProviderServer } from './provider';
import { PROVIDER_NAME } from './schema';

// The HTTP client (undici) parses HTTP with WebAssembly, which V8 would also compile with its
// optimizing tier in the background: about 250 ms of CPU that a provider process living a second
// never earns back, and Terraform waits for the process to exit. The baseline compiler is enough.
setFlagsFromString('--liftoff-only');

const server = new ExalateProviderServer(process.env);
void servePluginOrExit(server.handlers(), {
  name: PROVIDER_NAME,
  onShutdown: () => server.close(),
});
