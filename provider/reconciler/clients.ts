import { NodeClient } from '../client/client';
import type { ClientFactory } from './nodes';

/** Clients for real nodes (and the emulator): the project's one HTTP client. */
export const defaultClientFactory: ClientFactory = (node) =>
  new NodeClient({ url: node.url, token: node.token, allowInsecureHttp: node.allowInsecureHttp === true });
