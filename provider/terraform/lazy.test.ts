import { create } from '@bufbuild/protobuf';
import { LOADED_HANDLERS, lazyHandlers } from './lazy';
import { pb, type HandlerContext, type ProviderHandlers } from './plugin';
import { ExalateProviderServer } from './provider';
import { providerSchema } from './schema';

const ctx = { signal: new AbortController().signal } as unknown as HandlerContext;

describe('the provider loaded on first use', () => {
  test('every handler the provider implements is reachable, and no other', () => {
    const implemented = Object.keys(new ExalateProviderServer({}).handlers()).sort();
    expect(Object.keys(lazyHandlers(async () => ({}))).sort()).toEqual(implemented);
    expect([...LOADED_HANDLERS, 'getMetadata', 'getProviderSchema'].sort()).toEqual(implemented);
  });

  test('the schema is answered without loading the provider; other RPCs are answered by it', async () => {
    let loads = 0;
    const real = new ExalateProviderServer({}).handlers();
    const handlers = lazyHandlers(async () => {
      loads++;
      return real;
    });
    const schema = await handlers.getProviderSchema!(create(pb.GetProviderSchema_RequestSchema), ctx);
    expect(schema).toEqual(providerSchema());
    await handlers.getMetadata!(create(pb.GetMetadata_RequestSchema), ctx);
    expect(loads).toBe(0);
    const validate = (handlers as Required<ProviderHandlers>).validateResourceConfig;
    const req = create(pb.ValidateResourceConfig_RequestSchema, { typeName: 'exalate_connection' });
    expect(await validate(req, ctx)).toEqual(await real.validateResourceConfig!(req, ctx));
    await validate(req, ctx);
    expect(loads).toBe(2);
  });
});
