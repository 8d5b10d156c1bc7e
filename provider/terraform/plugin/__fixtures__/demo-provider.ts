/**
 * A tiny provider used by the transport layer's tests and for trying the layer with the real
 * Terraform CLI. Not a real provider: one resource `demo_thing` kept in a JSON file (provider
 * attribute `store_path`, else memory) and one data source `demo_echo`.
 *
 * Test switches (environment):
 *   FIXTURE_NETWORK=tcp        listen on 127.0.0.1 instead of a unix socket
 *   FIXTURE_ONSTOP=throw|error onStop throws / returns an error string
 *   FIXTURE_NOISE=1            GetProviderSchema writes with console.log and process.stdout.write
 *   FIXTURE_SLOW=1             ReadDataSource answers after 50 ms (keeps concurrent calls in flight)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import type { CtyValue } from '../cty';
import {
  UNKNOWN,
  decodeDynamicValue,
  decodeRawState,
  encodeCtyType,
  encodeDynamicValue,
  isUnknown,
} from '../cty';
import { attributePath } from '../diagnostics';
import { servePluginOrExit } from '../serve';
import type { ProviderHandlers } from '../service';
import * as pb from '../gen/tfplugin6_pb';

const STRING = encodeCtyType('string');

type Thing = { id: string | null; name: string | null; note: string | null; code: string | null };
const THING_ATTRS = ['id', 'name', 'note', 'code'] as const;

let storePath: string | undefined;
const memory: Record<string, Thing> = {};

function loadStore(): Record<string, Thing> {
  if (!storePath) return memory;
  try {
    return JSON.parse(readFileSync(storePath, 'utf8')) as Record<string, Thing>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
}

function saveStore(store: Record<string, Thing>): void {
  if (storePath) writeFileSync(storePath, `${JSON.stringify(store, null, 2)}\n`);
}

function asObject(value: CtyValue): Record<string, CtyValue> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !isUnknown(value)
    ? (value as Record<string, CtyValue>)
    : null;
}

function str(value: CtyValue | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

function thing(value: Record<string, CtyValue>): Record<string, CtyValue> {
  return Object.fromEntries(THING_ATTRS.map((k) => [k, value[k] ?? null]));
}

function checkType(typeName: string, expected: string): void {
  if (typeName !== expected) throw new Error(`unsupported type ${typeName}`);
}

const diag = (summary: string, attribute?: string): pb.Diagnostic =>
  create(pb.DiagnosticSchema, {
    severity: pb.Diagnostic_Severity.ERROR,
    summary,
    attribute: attribute ? { steps: [{ selector: { case: 'attributeName', value: attribute } }] } : undefined,
  });

const handlers: ProviderHandlers = {
  getProviderSchema() {
    if (process.env.FIXTURE_NOISE) {
      console.log('noise from console.log');
      process.stdout.write('noise from process.stdout.write\n');
    }
    return create(pb.GetProviderSchema_ResponseSchema, {
      provider: {
        block: {
          attributes: [
            {
              name: 'store_path',
              type: STRING,
              optional: true,
              description: 'JSON file standing in for an API',
            },
          ],
        },
      },
      resourceSchemas: {
        demo_thing: {
          version: 1n,
          block: {
            attributes: [
              { name: 'id', type: STRING, computed: true },
              { name: 'name', type: STRING, required: true },
              { name: 'note', type: STRING, optional: true },
              { name: 'code', type: STRING, computed: true, sensitive: true },
            ],
          },
        },
      },
      dataSourceSchemas: {
        demo_echo: {
          block: {
            attributes: [
              { name: 'input', type: STRING, required: true },
              { name: 'output', type: STRING, computed: true },
            ],
          },
        },
      },
      serverCapabilities: { planDestroy: false, getProviderSchemaOptional: false },
    });
  },

  validateProviderConfig() {
    return create(pb.ValidateProviderConfig_ResponseSchema, {});
  },

  configureProvider(req) {
    const config = asObject(decodeDynamicValue(req.config));
    const path = str(config?.store_path);
    storePath = path ?? undefined;
    return create(pb.ConfigureProvider_ResponseSchema, {});
  },

  validateResourceConfig(req) {
    checkType(req.typeName, 'demo_thing');
    const config = asObject(decodeDynamicValue(req.config));
    if (config?.name === 'throw') throw new Error('validation exploded');
    if (config?.name === '') {
      return create(pb.ValidateResourceConfig_ResponseSchema, {
        diagnostics: [diag('name must not be empty', 'name')],
      });
    }
    return create(pb.ValidateResourceConfig_ResponseSchema, {});
  },

  upgradeResourceState(req) {
    checkType(req.typeName, 'demo_thing');
    const raw = asObject(decodeRawState(req.rawState));
    return create(pb.UpgradeResourceState_ResponseSchema, {
      upgradedState: encodeDynamicValue(raw && thing(raw)),
    });
  },

  readResource(req) {
    checkType(req.typeName, 'demo_thing');
    const current = asObject(decodeDynamicValue(req.currentState));
    const id = str(current?.id);
    const remote = id ? loadStore()[id] : undefined;
    return create(pb.ReadResource_ResponseSchema, {
      newState: encodeDynamicValue(remote ?? null), // null: deleted outside Terraform
      private: req.private,
    });
  },

  planResourceChange(req) {
    checkType(req.typeName, 'demo_thing');
    const prior = asObject(decodeDynamicValue(req.priorState));
    const proposed = asObject(decodeDynamicValue(req.proposedNewState));
    if (!proposed)
      return create(pb.PlanResourceChange_ResponseSchema, { plannedState: encodeDynamicValue(null) });
    const planned = thing(proposed);
    const requiresReplace: pb.AttributePath[] = [];
    if (!prior) {
      planned.id = UNKNOWN;
      planned.code = UNKNOWN;
    } else if (!isUnknown(planned.name) && planned.name !== prior.name) {
      requiresReplace.push(attributePath('name'));
      planned.id = UNKNOWN;
      planned.code = UNKNOWN;
    } else {
      planned.id = prior.id ?? null;
      planned.code = prior.code ?? null;
    }
    return create(pb.PlanResourceChange_ResponseSchema, {
      plannedState: encodeDynamicValue(planned),
      requiresReplace,
      plannedPrivate: req.priorPrivate,
    });
  },

  applyResourceChange(req) {
    checkType(req.typeName, 'demo_thing');
    const prior = asObject(decodeDynamicValue(req.priorState));
    const planned = asObject(decodeDynamicValue(req.plannedState));
    const store = loadStore();
    if (!planned) {
      const id = str(prior?.id);
      if (id) delete store[id];
      saveStore(store);
      return create(pb.ApplyResourceChange_ResponseSchema, { newState: encodeDynamicValue(null) });
    }
    const next: Thing = {
      id: str(planned.id),
      name: str(planned.name),
      note: str(planned.note),
      code: str(planned.code),
    };
    if (isUnknown(planned.id) || next.id === null) {
      next.id = `thing-${randomBytes(4).toString('hex')}`;
      next.code = `CODE-${randomBytes(3).toString('hex').toUpperCase()}`;
    }
    store[next.id] = next;
    saveStore(store);
    return create(pb.ApplyResourceChange_ResponseSchema, {
      newState: encodeDynamicValue(next),
      private: req.plannedPrivate,
    });
  },

  importResourceState(req) {
    checkType(req.typeName, 'demo_thing');
    return create(pb.ImportResourceState_ResponseSchema, {
      importedResources: [
        {
          typeName: req.typeName,
          state: encodeDynamicValue({ id: req.id, name: null, note: null, code: null }),
        },
      ],
    });
  },

  validateDataResourceConfig(req) {
    checkType(req.typeName, 'demo_echo');
    return create(pb.ValidateDataResourceConfig_ResponseSchema, {});
  },

  async readDataSource(req) {
    checkType(req.typeName, 'demo_echo');
    if (process.env.FIXTURE_SLOW) await new Promise((resolve) => setTimeout(resolve, 50));
    const config = asObject(decodeDynamicValue(req.config));
    const input = config?.input ?? null;
    return create(pb.ReadDataSource_ResponseSchema, {
      state: encodeDynamicValue({ input, output: typeof input === 'string' ? input.toUpperCase() : input }),
    });
  },
};

void servePluginOrExit(handlers, {
  name: 'demo',
  network: process.env.FIXTURE_NETWORK === 'tcp' ? 'tcp' : undefined,
  onStop: () => {
    process.stderr.write('fixture: onStop called\n');
    if (process.env.FIXTURE_ONSTOP === 'throw') throw new Error('stop exploded');
    if (process.env.FIXTURE_ONSTOP === 'error') return 'could not stop';
  },
  onShutdown: async () => {
    await new Promise((resolve) => setImmediate(resolve));
    process.stderr.write('fixture: onShutdown called\n');
  },
});
