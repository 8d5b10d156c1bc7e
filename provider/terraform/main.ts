/**
 * `terraform-provider-exalate`: started by Terraform (go-plugin handshake); run by hand it says
 * so and exits 1. Nothing but the handshake line reaches stdout.
 */
import { servePluginOrExit } from './plugin';
import { ExalateProviderServer } from './provider';
import { PROVIDER_NAME } from './schema';

const server = new ExalateProviderServer(process.env);
void servePluginOrExit(server.handlers(), {
  name: PROVIDER_NAME,
  onShutdown: () => server.close(),
});
