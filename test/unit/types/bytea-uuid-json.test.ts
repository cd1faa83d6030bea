// bytea, uuid, json and jsonb value I/O (expected texts are PostgreSQL 15's) and their storage in
// column chunks.
import { expect } from 'chai';
import { decodeChunk, encodeChunk } from '../../../src/storage/chunk-codec';
import { Types } from '../../../src/types/data-type';
import { formatBytea, parseBytea, parseUuid } from '../../../src/types/bytea-uuid';
import { jsonGet, jsonbIn } from '../../../src/types/json';
import { formatCell, DEFAULT_FORMAT } from '../../../src/types/text-format';
import { getScalar, vectorFromScalars } from '../../../src/types/vector-ops';
import { SqlError } from '../../../src/types/sql-error';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as SqlError).code;
  }
  return 'no error';
}

describe('bytea, uuid, json, jsonb values', () => {
  it('reads bytea in hex and escape formats and prints hex', () => {
    expect(formatBytea(parseBytea('\\x41FF'))).to.equal('\\x41ff');
    expect(formatBytea(parseBytea('ab\\000c\\\\'))).to.equal('\\x616200635c');
    expect(formatBytea(parseBytea('é'))).to.equal('\\xc3a9');
    expect(formatBytea(parseBytea('\\x 41 42 '))).to.equal('\\x4142');
    expect(code(() => parseBytea('\\x4'))).to.equal('22023');
    expect(code(() => parseBytea('\\x4g'))).to.equal('22023');
    expect(code(() => parseBytea('a\\b'))).to.equal('22P02');
  });

  it('reads uuids in every accepted spelling and prints them canonically', () => {
    const want = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11';
    for (const t of ['A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}', 'a0eebc999c0b4ef8bb6d6bb9bd380a11', 'a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11'])
      expect(parseUuid(t)).to.equal(want);
    for (const t of ['x', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111', '{a0eebc999c0b4ef8bb6d6bb9bd380a11', 'a0eeb-c999c0b4ef8bb6d6bb9bd380a11'])
      expect(code(() => parseUuid(t)), t).to.equal('22P02');
  });

  it('normalizes jsonb as PostgreSQL 15 prints it', () => {
    expect(jsonbIn('{"b":1, "a" : [1,2.50,1e2,-0, 1E-2, true, "\\u0041\\t\\"\\\\\\/"], "":{}}')).to.equal(
      '{"": {}, "a": [1, 2.50, 100, 0, 0.01, true, "A\\t\\"\\\\/"], "b": 1}',
    );
    expect(jsonbIn('{"a":1, "a":2, "bb":3, "c":4}')).to.equal('{"a": 2, "c": 4, "bb": 3}');
    expect(code(() => jsonbIn('01'))).to.equal('22P02');
    expect(code(() => jsonbIn('{"a":}'))).to.equal('22P02');
    expect(code(() => jsonbIn('[1,]'))).to.equal('22P02');
    expect(code(() => jsonbIn('"\\u0000"'))).to.equal('22P05');
    // Limits instead of a crash: nesting (PostgreSQL's stack depth error) and numeric's range.
    expect(code(() => jsonbIn('['.repeat(3000) + ']'.repeat(3000)))).to.equal('54001');
    expect(jsonbIn('['.repeat(1500) + ']'.repeat(1500)).length).to.equal(3000);
    expect(code(() => jsonbIn('1e1000000'))).to.equal('22003');
  });

  it('extracts fields and elements with -> and ->>', () => {
    expect(jsonGet('{"a": [1, 2 ], "a":3}', false, 'a', false)).to.equal('3');
    expect(jsonGet('[1,"x", {"k": null}]', false, -1, false)).to.equal('{"k": null}');
    expect(jsonGet('[1,"x\\ty"]', false, 1, true)).to.equal('x\ty');
    expect(jsonGet('{"k": null}', true, 'k', true)).to.equal(null);
    expect(jsonGet('{"k": null}', true, 'k', false)).to.equal('null');
    expect(jsonGet('"s"', true, 0, false)).to.equal('"s"');
    expect(jsonGet('"s"', false, 0, false)).to.equal(null);
    expect(jsonGet('[1]', true, 'a', false)).to.equal(null);
  });

  it('keeps every byte and value through a column chunk', () => {
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    const cases: [typeof Types.bytea, (string | null)[]][] = [
      [Types.bytea, [all, '', null, parseBytea('\\x00ff')]],
      [Types.uuid, [parseUuid('a0eebc999c0b4ef8bb6d6bb9bd380a11'), null]],
      [Types.jsonb, [jsonbIn('{"a": "é\\n"}'), null]],
    ];
    for (const [type, values] of cases) {
      const back = decodeChunk(encodeChunk(vectorFromScalars(type, values)), type);
      expect(values.map((_, i) => getScalar(back, i))).to.deep.equal(values);
    }
    const v = vectorFromScalars(Types.bytea, [all]);
    expect(formatCell(v, 0, DEFAULT_FORMAT)).to.equal('\\x' + Buffer.from(all, 'latin1').toString('hex'));
  });
});
