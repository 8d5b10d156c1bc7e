/**
 * Terraform values ("cty" values) on the wire: DynamicValue msgpack/JSON <-> plain JS values,
 * following hashicorp/terraform docs/plugin-protocol/object-wire-format.md.
 *
 * The conversion is schema-less (the caller knows its schema):
 *   - null                       <-> msgpack nil / JSON null (also `undefined` when encoding)
 *   - unknown ("known after apply") <-> msgpack extension; decoded as the single {@link UNKNOWN}
 *     value whatever the extension code (0 = unknown, 12 = refined unknown, refinements dropped);
 *     encoded as go-cty does, `d4 00 00` (fixext1, type 0, one zero byte).
 *   - string, bool               <-> msgpack str / bool
 *   - number                     <-> msgpack int or float; int64/uint64 outside the safe integer
 *     range decode to `bigint`. Terraform sends numbers that fit neither int64 nor float64 as
 *     decimal *strings*: such a number arrives as a JS string (see {@link ctyNumber}).
 *   - list, set, tuple           <-> msgpack array (a JS `Set` is encoded as an array too)
 *   - map, object, nested blocks <-> msgpack map (a JS `Map` with string keys is encoded too)
 *   - "dynamic"-typed attributes <-> msgpack [bin(JSON type), value], decoded as {@link CtyDynamic}
 */
import type { DynamicValue, RawState } from './gen/tfplugin6_pb';
import { DynamicValueSchema } from './gen/tfplugin6_pb';
import { create } from '@bufbuild/protobuf';
import type * as MsgpackModule from '@msgpack/msgpack';

/** The type of {@link UNKNOWN}. */
export interface Unknown {
  readonly unknown: true;
}

/** The one unknown value: a value that Terraform will only know after apply. Frozen; compare with `===`. */
export const UNKNOWN: Unknown = Object.freeze({
  unknown: true as const,
  toString: () => '(known after apply)',
});

/** True for {@link UNKNOWN}. */
export function isUnknown(value: unknown): value is Unknown {
  return value === UNKNOWN;
}

/** A Terraform type constraint in its JSON form, e.g. `"string"`, `["list","number"]`, `["object",{"a":"bool"}]`. */
export type CtyType =
  | 'string'
  | 'number'
  | 'bool'
  | 'dynamic'
  | readonly ['list' | 'set' | 'map', CtyType]
  | readonly ['object', { readonly [attr: string]: CtyType }]
  | readonly ['object', { readonly [attr: string]: CtyType }, readonly string[]]
  | readonly ['tuple', readonly CtyType[]];

/** A value of an attribute whose schema type is `"dynamic"`: its concrete type travels with it. */
export class CtyDynamic {
  constructor(
    readonly type: CtyType,
    readonly value: CtyValue,
  ) {}
}

/** A decoded Terraform value. Objects/maps are plain objects; lists/sets/tuples are arrays. */
export type CtyValue =
  null | Unknown | string | number | bigint | boolean | CtyDynamic | CtyValue[] | { [key: string]: CtyValue };

/**
 * What {@link encodeMsgpack} accepts: a {@link CtyValue}, plus `undefined` (null), `Set` (array),
 * `Map` (map) and readonly arrays.
 */
export type CtyInput =
  | CtyValue
  | undefined
  | readonly CtyInput[]
  | ReadonlySet<CtyInput>
  | ReadonlyMap<string, CtyInput>
  | { readonly [key: string]: CtyInput };

/** The JSON bytes of a type constraint, for `Schema.Attribute.type`. */
export function encodeCtyType(type: CtyType): Uint8Array {
  return Buffer.from(JSON.stringify(type), 'utf8');
}

// @msgpack/msgpack is loaded on first use: a provider process that Terraform only asks for its
// schema (a third of all starts) never needs it.
let msgpack: typeof MsgpackModule | undefined;
function lib(): typeof MsgpackModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberate lazy load (start-up time)
  msgpack ??= require('@msgpack/msgpack') as typeof MsgpackModule;
  return msgpack;
}

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const UNKNOWN_BYTES = new Uint8Array([0]);

/** Converts an input value to the shape @msgpack/msgpack encodes the way go-cty expects. */
function toWire(value: CtyInput, path: string): unknown {
  if (value === null || value === undefined) return null;
  if (value === UNKNOWN) return new (lib().ExtData)(0, UNKNOWN_BYTES);
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isNaN(value)) throw new TypeError(`cty: NaN is not a valid number at ${path}`);
      // With useBigInt64 the encoder would write integers >= 2^32 as float64; keep them integers.
      if (Number.isSafeInteger(value) && (value >= 2 ** 32 || value < -(2 ** 31))) return BigInt(value);
      return value;
    case 'bigint':
      if (value < INT64_MIN || value > UINT64_MAX) return value.toString(); // as go-cty: decimal string
      if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) {
        return toWire(Number(value), path);
      }
      return value;
    case 'object':
      break;
    default:
      throw new TypeError(`cty: cannot encode a ${typeof value} at ${path}`);
  }
  if (value instanceof CtyDynamic) {
    return [Buffer.from(JSON.stringify(value.type), 'utf8'), toWire(value.value, `${path}.value`)];
  }
  if (Array.isArray(value)) return (value as readonly CtyInput[]).map((v, i) => toWire(v, `${path}[${i}]`));
  if (value instanceof Set)
    return [...(value as ReadonlySet<CtyInput>)].map((v, i) => toWire(v, `${path}[${i}]`));
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value as ReadonlyMap<string, CtyInput>) {
      if (typeof k !== 'string') throw new TypeError(`cty: map keys must be strings at ${path}`);
      define(out, k, toWire(v, `${path}.${k}`));
    }
    return out;
  }
  if (ArrayBuffer.isView(value)) throw new TypeError(`cty: binary data is not a Terraform value at ${path}`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as { readonly [key: string]: CtyInput })) {
    define(out, k, toWire(v, `${path}.${k}`));
  }
  return out;
}

/** Sets a property even when the key is `__proto__`. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true });
  else target[key] = value;
}

/** Converts what @msgpack/msgpack decoded into a {@link CtyValue}. */
function fromWire(value: unknown): CtyValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'number':
      return value;
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value)
        : value;
    case 'object':
      break;
    default:
      throw new TypeError(`cty: unexpected decoded ${typeof value}`);
  }
  // Any extension code means "unknown" (object-wire-format.md); payloads (refinements) are dropped.
  // (@msgpack/msgpack decodes extension -1, its timestamp, to a Date.)
  if (value instanceof lib().ExtData || value instanceof Date) return UNKNOWN;
  if (Array.isArray(value)) {
    // cty has no binary type: bin only appears as the type half of a "dynamic" value.
    if (value.length === 2 && value[0] instanceof Uint8Array) {
      const type = JSON.parse(Buffer.from(value[0]).toString('utf8')) as CtyType;
      return new CtyDynamic(type, fromWire(value[1]));
    }
    return value.map(fromWire);
  }
  if (value instanceof Uint8Array)
    throw new TypeError('cty: unexpected binary value outside a dynamic value');
  const out: { [key: string]: CtyValue } = {};
  for (const [k, v] of Object.entries(value)) out[k] = fromWire(v);
  return out;
}

/** Encodes a value as msgpack the way Terraform (go-cty) does. */
export function encodeMsgpack(value: CtyInput): Uint8Array {
  return lib().encode(toWire(value, '$'), { useBigInt64: true });
}

/** Decodes msgpack from Terraform. Empty input decodes to null. */
export function decodeMsgpack(bytes: Uint8Array): CtyValue {
  if (bytes.length === 0) return null;
  return fromWire(lib().decode(bytes, { useBigInt64: true }));
}

/** Decodes the JSON encoding (DynamicValue.json, RawState.json). Empty input decodes to null. Numbers beyond 2^53 lose precision. */
export function decodeJson(bytes: Uint8Array): CtyValue {
  if (bytes.length === 0) return null;
  return JSON.parse(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
  ) as CtyValue;
}

/** Decodes a DynamicValue: msgpack when present, else JSON, else null (also for a missing message). */
export function decodeDynamicValue(dv: DynamicValue | undefined): CtyValue {
  if (!dv) return null;
  if (dv.msgpack.length > 0) return decodeMsgpack(dv.msgpack);
  if (dv.json.length > 0) return decodeJson(dv.json);
  return null;
}

/** Encodes a value as a DynamicValue message (always msgpack, as the protocol recommends). */
export function encodeDynamicValue(value: CtyInput): DynamicValue {
  return create(DynamicValueSchema, { msgpack: encodeMsgpack(value) });
}

/**
 * Decodes the stored state of UpgradeResourceState (JSON, encoded with the schema version the state
 * was written with). The legacy `flatmap` form (written only by Terraform 0.11-era providers) is
 * rejected with an error.
 */
export function decodeRawState(raw: RawState | undefined): CtyValue {
  if (!raw) return null;
  if (raw.json.length > 0) return decodeJson(raw.json);
  if (Object.keys(raw.flatmap).length > 0) {
    throw new Error('cty: legacy flatmap state is not supported; only JSON state can be upgraded');
  }
  return null;
}

/**
 * Reads a Terraform number: a JS number, a bigint (big integers) or a decimal string (what Terraform
 * sends for numbers that fit neither int64 nor float64). Integers beyond 2^53 become bigint; other
 * decimal strings become the nearest double. Throws for anything else.
 */
export function ctyNumber(value: CtyValue): number | bigint {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'string') {
    const s = value.trim();
    if (/^-?\d+$/.test(s)) {
      const big = BigInt(s);
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(big)
        : big;
    }
    const n = Number(s);
    if (s !== '' && !Number.isNaN(n)) return n;
  }
  throw new TypeError(`cty: not a number: ${String(value)}`);
}
