import { NodeClient, type ClientLogger } from '../api/client';
import type { ClientFactory } from './nodes';

export interface ClientSettings {
  logger?: ClientLogger;
  /** Injected by tests so back-off never sleeps for real. */
  sleep?: (ms: number) => Promise<void>;
  /** Requests per second towards every node (a node's own `rateLimit` wins). */
  rateLimit?: number;
}

/** Clients for real nodes (and the emulator): the project's one HTTP client. */
export function clientFactory(settings: ClientSettings = {}): ClientFactory {
  return (node) => {
    const rate = node.rateLimit ?? settings.rateLimit;
    return new NodeClient({
      url: node.url,
      token: node.token,
      user: node.user,
      allowInsecureHttp: node.allowInsecureHttp === true,
      ...(settings.logger ? { logger: settings.logger } : {}),
      ...(settings.sleep ? { sleep: settings.sleep } : {}),
      ...(rate !== undefined ? { rateLimit: { requestsPerSecond: rate } } : {}),
    });
  };
}

export const defaultClientFactory: ClientFactory = clientFactory();
