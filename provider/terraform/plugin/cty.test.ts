import { fromBinary, toBinary, create } from '@bufbuild/protobuf';
import {
  CtyDynamic,
  UNKNOWN,
  ctyNumber,
  decodeDynamicValue,
  decodeJson,
  decodeMsgpack,
  decodeRawState,
  encodeCtyType,
  encodeDynamicValue,
  encodeMsgpack,
  isUnknown,
} from './cty';
import { DynamicValueSchema, RawStateSchema } from './gen/tfplugin6_pb';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

describe('UNKNOWN', () => {
  test('is one frozen value recognised by isUnknown only', () => {
    expect(Object.isFrozen(UNKNOWN)).toBe(true);
    expect(isUnknown(UNKNOWN)).toBe(true);
    expect(isUnknown({ unknown: true })).toBe(false);
    expect(isUnknown(null)).toBe(false);
    expect(isUnknown(undefined)).toBe(false);
  });

  test('encodes as go-cty does: fixext1, type 0, one zero byte', () => {
    expect(hex(encodeMsgpack(UNKNOWN))).toBe('d40000');
  });

  test('an object with an unknown attribute', () => {
    // {"id": unknown, "name": "a"}
    expect(hex(encodeMsgpack({ id: UNKNOWN, name: 'a' }))).toBe(
      '82' + 'a26964' + 'd40000' + 'a46e616d65' + 'a161',
    );
  });

  test('decodes extension 0 whatever its payload', () => {
    expect(decodeMsgpack(bytes('d40000'))).toBe(UNKNOWN);
    expect(decodeMsgpack(bytes('d400ff'))).toBe(UNKNOWN);
    expect(decodeMsgpack(bytes('c70000'))).toBe(UNKNOWN); // ext8 with an empty payload
  });

  test('decodes a refined unknown (extension 12) as unknown', () => {
    // refinements map {1: false} (not null) and {2: "ab"} (string prefix), as go-cty writes them
    const refinements = '82' + '01c2' + '02a26162';
    const ext = `c7${(refinements.length / 2).toString(16).padStart(2, '0')}0c${refinements}`;
    expect(decodeMsgpack(bytes(ext))).toBe(UNKNOWN);
    // number bounds refinement {3: [0, true]} inside an object
    const numberRefinement = '81' + '03' + '92' + '00' + 'c3';
    const obj = `81 a161 c7${(numberRefinement.length / 2).toString(16).padStart(2, '0')}0c${numberRefinement}`;
    expect(decodeMsgpack(bytes(obj))).toEqual({ a: UNKNOWN });
  });

  test('decodes any other extension code as unknown (the protocol reserves them for unknowns)', () => {
    expect(decodeMsgpack(bytes('d40700'))).toBe(UNKNOWN);
    expect(decodeMsgpack(bytes('d6ff00000000'))).toBe(UNKNOWN); // msgpack timestamp extension (-1)
  });
});

describe('msgpack values', () => {
  test.each<[string, unknown, string]>([
    ['null', null, 'c0'],
    ['undefined as null', undefined, 'c0'],
    ['true', true, 'c3'],
    ['false', false, 'c2'],
    ['small int', 7, '07'],
    ['negative int', -3, 'fd'],
    ['uint16', 300, 'cd012c'],
    ['int beyond 32 bits stays an integer', 2 ** 40, 'cf0000010000000000'],
    ['negative int beyond 32 bits', -(2 ** 40), 'd3ffffff0000000000'],
    ['float', 1.5, 'cb3ff8000000000000'],
    ['string', 'héllo', 'a668c3a96c6c6f'],
    ['empty list', [], '90'],
    ['list', ['a', 'b'], '92a161a162'],
    ['empty object', {}, '80'],
  ])('%s', (_name, value, expected) => {
    expect(hex(encodeMsgpack(value as never))).toBe(expected);
  });

  test('bigint: int64/uint64 when it fits, decimal string beyond (as go-cty)', () => {
    expect(hex(encodeMsgpack(2n ** 63n - 1n))).toBe('cf7fffffffffffffff');
    expect(hex(encodeMsgpack(-(2n ** 63n)))).toBe('d38000000000000000');
    expect(hex(encodeMsgpack(5n))).toBe('05');
    expect(decodeMsgpack(encodeMsgpack(2n ** 70n))).toBe((2n ** 70n).toString());
  });

  test('decodes int64/uint64 outside the safe range as bigint, inside as number', () => {
    expect(decodeMsgpack(bytes('cf7fffffffffffffff'))).toBe(2n ** 63n - 1n);
    expect(decodeMsgpack(bytes('d38000000000000000'))).toBe(-(2n ** 63n));
    expect(decodeMsgpack(bytes('cf0000010000000000'))).toBe(2 ** 40);
    expect(decodeMsgpack(bytes('d3ffffffffffffffff'))).toBe(-1);
    expect(decodeMsgpack(bytes('cb3ff8000000000000'))).toBe(1.5);
    expect(decodeMsgpack(bytes('ca3fc00000'))).toBe(1.5); // float32
  });

  test('numbers Terraform sends as strings are read with ctyNumber', () => {
    expect(ctyNumber('123456789012345678901234567890')).toBe(123456789012345678901234567890n);
    expect(ctyNumber('42')).toBe(42);
    expect(ctyNumber('0.1')).toBe(0.1);
    expect(ctyNumber(3)).toBe(3);
    expect(ctyNumber(3n)).toBe(3n);
    expect(() => ctyNumber('abc')).toThrow(/not a number/);
    expect(() => ctyNumber(null)).toThrow(/not a number/);
  });

  test('rejects values that are not Terraform values', () => {
    expect(() => encodeMsgpack(NaN)).toThrow(/NaN/);
    expect(() => encodeMsgpack(new Uint8Array([1]) as never)).toThrow(/binary/);
    expect(() => encodeMsgpack((() => 1) as never)).toThrow(/function/);
  });

  test('sets and maps are encoded as arrays and maps', () => {
    expect(hex(encodeMsgpack(new Set(['a'])))).toBe('91a161');
    expect(hex(encodeMsgpack(new Map([['k', 1]])))).toBe('81a16b01');
  });

  test('nested objects, lists, maps, nulls and unknowns round-trip', () => {
    const value = {
      id: 'x-1',
      count: 3,
      ratio: 0.25,
      enabled: false,
      tags: { env: 'prod', team: null },
      rules: [
        { name: 'a', ports: [80, 443], extra: null },
        { name: UNKNOWN, ports: UNKNOWN, extra: { deep: [[1], [2, 3]] } },
      ],
      big: 2n ** 60n,
      nothing: null,
      later: UNKNOWN,
    };
    const decoded = decodeMsgpack(encodeMsgpack(value));
    expect(decoded).toEqual(value);
    // and re-encoding gives the same bytes
    expect(hex(encodeMsgpack(decoded))).toBe(hex(encodeMsgpack(value)));
  });

  test('a __proto__ key stays data when encoding; decoding refuses it (a limit of @msgpack/msgpack)', () => {
    const value = JSON.parse('{"__proto__": "x", "a": 1}') as Record<string, string | number>;
    const encoded = encodeMsgpack(value);
    expect(hex(encoded)).toBe('82' + 'a95f5f70726f746f5f5f' + 'a178' + 'a161' + '01');
    expect(() => decodeMsgpack(encoded)).toThrow(/__proto__/);
  });

  test('"dynamic" values: [bin(JSON type), value]', () => {
    const dyn = new CtyDynamic(['list', 'string'], ['a']);
    const encoded = encodeMsgpack({ v: dyn });
    const typeJson = Buffer.from('["list","string"]').toString('hex');
    expect(hex(encoded)).toBe(`81a176 92 c411${typeJson} 91a161`.replace(/ /g, ''));
    const decoded = decodeMsgpack(encoded) as { v: CtyDynamic };
    expect(decoded.v).toBeInstanceOf(CtyDynamic);
    expect(decoded.v.type).toEqual(['list', 'string']);
    expect(decoded.v.value).toEqual(['a']);
  });

  test('empty bytes decode to null', () => {
    expect(decodeMsgpack(new Uint8Array())).toBeNull();
  });
});

describe('DynamicValue and RawState', () => {
  test('encodeDynamicValue writes msgpack and survives the protobuf wire', () => {
    const dv = encodeDynamicValue({ a: UNKNOWN, b: 'x' });
    expect(dv.json.length).toBe(0);
    const back = fromBinary(DynamicValueSchema, toBinary(DynamicValueSchema, dv));
    expect(decodeDynamicValue(back)).toEqual({ a: UNKNOWN, b: 'x' });
  });

  test('decodeDynamicValue falls back to JSON, and to null', () => {
    const json = create(DynamicValueSchema, { json: Buffer.from('{"a":[1,2.5,"s",null,true]}') });
    expect(decodeDynamicValue(json)).toEqual({ a: [1, 2.5, 's', null, true] });
    expect(decodeDynamicValue(create(DynamicValueSchema))).toBeNull();
    expect(decodeDynamicValue(undefined)).toBeNull();
  });

  test('msgpack wins over JSON when both are present', () => {
    const dv = create(DynamicValueSchema, { msgpack: bytes('a161'), json: Buffer.from('"b"') });
    expect(decodeDynamicValue(dv)).toBe('a');
  });

  test('decodeRawState reads JSON state and refuses flatmap', () => {
    const raw = create(RawStateSchema, { json: Buffer.from('{"id":"x","n":12}') });
    expect(decodeRawState(raw)).toEqual({ id: 'x', n: 12 });
    expect(decodeRawState(undefined)).toBeNull();
    expect(decodeRawState(create(RawStateSchema))).toBeNull();
    expect(() => decodeRawState(create(RawStateSchema, { flatmap: { id: 'x' } }))).toThrow(/flatmap/);
  });

  test('decodeJson of a Uint8Array view with an offset', () => {
    const buf = Buffer.from('xx{"a":1}');
    expect(decodeJson(buf.subarray(2))).toEqual({ a: 1 });
  });

  test('encodeCtyType writes the JSON type constraint', () => {
    expect(Buffer.from(encodeCtyType('string')).toString()).toBe('"string"');
    expect(Buffer.from(encodeCtyType(['map', ['list', 'number']])).toString()).toBe(
      '["map",["list","number"]]',
    );
    expect(Buffer.from(encodeCtyType(['object', { a: 'bool' }])).toString()).toBe('["object",{"a":"bool"}]');
  });
});
