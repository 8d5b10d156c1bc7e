/**
 * Compile-time guarantees of the generated code (checked by tsc and by ts-jest, which type-checks
 * this file: an unused @ts-expect-error is itself an error).
 */
import { join } from 'node:path';
import * as ts from 'typescript';
import { create } from '@bufbuild/protobuf';
import * as pb from './gen/tfplugin6_pb';
import type { ProviderHandlers } from './service';

describe('typed protocol messages', () => {
  test('a misnamed field is a compile error', () => {
    const ok = create(pb.GetProviderSchema_ResponseSchema, { resourceSchemas: {} });
    const bad = create(pb.GetProviderSchema_ResponseSchema, {
      // @ts-expect-error -- snake_case is the proto name, the TypeScript property is resourceSchemas
      resource_schemas: {},
    });
    const nested = create(pb.SchemaSchema, {
      block: {
        attributes: [
          {
            name: 'id',
            // @ts-expect-error -- misspelled "computed"
            compted: true,
          },
        ],
      },
    });
    expect(ok.resourceSchemas).toEqual({});
    expect(bad.$typeName).toBe('tfplugin6.GetProviderSchema.Response');
    expect(nested.block?.attributes[0]?.computed).toBe(false);
  });

  test('a handler must return a message of the right type', () => {
    const handlers: ProviderHandlers = {
      // @ts-expect-error -- a plain object is not a message: build it with create()
      validateProviderConfig: () => ({ diagnostics: [] }),
      // @ts-expect-error -- wrong response message
      configureProvider: () => create(pb.ValidateProviderConfig_ResponseSchema, {}),
      readResource: (req) => create(pb.ReadResource_ResponseSchema, { newState: req.currentState }),
    };
    expect(Object.keys(handlers)).toHaveLength(3);
  });

  test('int64 fields are bigint', () => {
    const schema = create(pb.SchemaSchema, { version: 3n });
    // @ts-expect-error -- a number is not accepted for an int64 field
    create(pb.SchemaSchema, { version: 3 });
    expect(schema.version).toBe(3n);
  });
});

test('this file type-checks, so each @ts-expect-error above marks a real compile error', () => {
  // ts-jest only transpiles (isolatedModules), so ask the compiler (tsc would also report an
  // unused @ts-expect-error as TS2578).
  const root = join(__dirname, '..', '..', '..');
  const configFile = ts.readConfigFile(join(root, 'tsconfig.json'), (f) => ts.sys.readFile(f));
  const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
  const program = ts.createProgram([__filename], { ...options, noEmit: true });
  const messages = ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  expect(messages).toEqual([]);
});
