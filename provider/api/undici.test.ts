import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as undici from 'undici';
import requestModule from 'undici/lib/api/api-request.js';
import { Pool, errors, request } from './undici';

describe('the undici modules the client loads directly', () => {
  it('are the ones undici’s entry point exports', () => {
    expect(Pool).toBe(undici.Pool);
    expect(errors).toBe(undici.errors);
    expect(requestModule).toBe((undici.Dispatcher.prototype as unknown as { request: unknown }).request);
  });

  it('request sends the method, path and body through the pool', async () => {
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => res.end(JSON.stringify({ method: req.method, url: req.url, body })));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const res = await request(pool, { path: '/a/b?x=1', method: 'POST', body: 'hi' });
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toEqual({ method: 'POST', url: '/a/b?x=1', body: 'hi' });
    } finally {
      await pool.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
