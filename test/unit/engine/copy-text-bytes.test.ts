// COPY's byte parser against the string splitter (the reference): same rows, same values, same
// errors, whatever the chunk boundaries — escapes, NULL markers, CRLF, '\.', headers, UTF-8.
import { expect } from 'chai';
import { CopyRowSplitter } from '../../../src/engine/copy-text';
import { CopyTextBytes } from '../../../src/engine/copy-text-bytes';
import { CopyOptions } from '../../../src/sql/bound-statement';
import { DataType, Types, charType, dataType } from '../../../src/types/data-type';
import { DEFAULT_FORMAT, formatCell } from '../../../src/types/text-format';
import { VectorBuilder } from '../../../src/types/vector-builder';

const TYPES: DataType[] = [Types.int4, Types.int8, dataType('numeric', ((15 << 16) | 2) + 4), Types.date, charType('bpchar', 3), charType('varchar', 10), Types.text];

/** Rows as text cells (after the column types had their say), through one of the two parsers. */
function parse(input: Buffer, cuts: number[], options: CopyOptions, bytes: boolean): (string | null)[][] | string {
  const builders = TYPES.map((t) => new VectorBuilder(t, DEFAULT_FORMAT, 4));
  try {
    const pieces: Buffer[] = [];
    let at = 0;
    for (const c of [...cuts, input.length]) {
      pieces.push(input.subarray(at, c));
      at = c;
    }
    if (bytes) {
      const p = new CopyTextBytes(options, { builders, columnNames: TYPES.map((_, i) => `c${i}`), tableName: 't', rowDone: () => undefined });
      for (const piece of pieces) p.push(piece);
      p.finish();
    } else {
      const s = new CopyRowSplitter(options);
      const onRow = (fields: (string | null)[]) => {
        if (fields.length > TYPES.length) throw new Error(`extra data after last expected column (line ${s.lineNumber})`);
        if (fields.length < TYPES.length) throw new Error(`missing data for column "c${fields.length}" (line ${s.lineNumber})`);
        fields.forEach((f, k) => (f === null ? builders[k].appendNull() : builders[k].appendText(f)));
      };
      for (const piece of pieces) s.push(piece, onRow);
      s.finish(onRow);
    }
  } catch (err) {
    return (err as Error).message.replace(/ \(line \d+\)/, '');
  }
  const cols = builders.map((b) => b.finish());
  return Array.from({ length: cols[0].length }, (_, i) => cols.map((c) => formatCell(c, i, DEFAULT_FORMAT)));
}

const text: CopyOptions = { format: 'text', delimiter: '|', header: false, null: '\\N', quote: '"', escape: '"' };

describe('COPY text parsed from bytes', () => {
  const input = [
    '1|10|1.5|2024-02-29|ab|héllo|x',
    '-7|-9007199254740|-0.25|1999-12-31|\\N|\\N|\\N',
    '2147483647|0|12345.67|2024-01-28|abc|tab\\there|back\\\\slash',
    '3|4|5|2024-03-01|a\\|b|pipe\\|in|\\x41\\101\\n',
    '4|5|6|2000-01-01| |🙂ok|',
    '\\.',
    'ignored|after|end|marker|x|y|z',
  ].join('\r\n');
  const buf = Buffer.from(input, 'utf8');

  it('gives the string splitter’s rows for every chunk boundary', () => {
    const expected = parse(buf, [], text, false);
    expect(expected).to.have.length(5);
    expect((expected as string[][])[1]).to.deep.equal(['-7', '-9007199254740', '-0.25', '1999-12-31', null, null, null]);
    expect((expected as string[][])[3][4]).to.equal('a|b');
    for (let cut = 1; cut < buf.length; cut++) expect(parse(buf, [cut], text, true), `cut at ${cut}`).to.deep.equal(expected);
    expect(parse(buf, [3, 40, 41, 90], text, true)).to.deep.equal(expected);
  });

  it('skips a header, reads a last line without newline, and fails as the splitter does', () => {
    const withHeader = { ...text, header: true };
    const b = Buffer.from('a|b|c|d|e|f|g\n1|2|3|2024-01-01|x|y|z');
    expect(parse(b, [], withHeader, true)).to.deep.equal(parse(b, [], withHeader, false));
    for (const bad of ['1|2|3|2024-01-01|x|y\n', '1|2|3|2024-01-01|x|y|z|extra\n', '1|2|3|2024-13-01|x|y|z\n', 'x|2|3|2024-01-01|x|y|z\n', '1|2|3|2024-01-01|toolong|y|z\n']) {
      const reference = parse(Buffer.from(bad), [], text, false);
      expect(reference, bad).to.be.a('string');
      expect(parse(Buffer.from(bad), [], text, true), bad).to.equal(reference);
    }
    // More fraction digits than the scale: rounded (as PostgreSQL does), on both paths.
    const round = Buffer.from('1|2|3.456|2024-01-01|x|y|z\n');
    expect(parse(round, [], text, true)).to.deep.equal([['1', '2', '3.46', '2024-01-01', 'x  ', 'y', 'z']]);
    expect(parse(round, [], text, false)).to.deep.equal(parse(round, [], text, true));
  });

  it('finds delimiters at every position of the 4-byte words it scans, whatever the buffer alignment', () => {
    const lines: string[] = [];
    for (let i = 0; i < 40; i++) lines.push(`${i}|${i * 3}|${i}.25|2024-01-0${(i % 9) + 1}|${'abc'.slice(0, i % 4)}|${'w'.repeat(i % 11)}|${'long text '.repeat(i % 5)}${'x'.repeat(i % 4)}`);
    const body = lines.join('\n') + '\n';
    const expected = parse(Buffer.from(body), [], text, false);
    expect(expected).to.have.length(40);
    for (let shift = 0; shift < 4; shift++) {
      // Buffer.alloc: a buffer of its own, so the subarray starts `shift` bytes past a word boundary.
      const big = Buffer.alloc(body.length + shift);
      big.write(body, shift);
      expect(parse(big.subarray(shift), [], text, true), `shift ${shift}`).to.deep.equal(expected);
      expect(parse(big.subarray(shift), [37, 501], text, true), `shift ${shift}, cut`).to.deep.equal(expected);
    }
  });

  it('gives a NULL row the value slot 0 in every batch, though the builder reuses its arrays', () => {
    for (const type of [Types.int4, Types.text]) {
      const b = new VectorBuilder(type, DEFAULT_FORMAT, 4);
      for (const batch of [['7', '8', '9'], [null, '5', null]]) {
        for (const x of batch) {
          if (x === null) b.appendNull();
          else b.appendText(x);
        }
        const v = b.finish();
        const slots = v.kind === 'string' ? v.codes : v.kind === 'int32' ? v.values : null;
        batch.forEach((x, i) => {
          if (x === null) expect(slots![i], `${type.name} row ${i}`).to.equal(0);
          else expect(formatCell(v, i, DEFAULT_FORMAT)).to.equal(x);
        });
      }
    }
  });

  it('keeps long distinct values right (copied natively once the byte cache is off)', () => {
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++) lines.push(`${i}|${i}|1.5|2024-01-01|a|v|${'word '.repeat(15 + (i % 30))}${i}`);
    const b = Buffer.from(lines.join('\n') + '\n');
    const expected = parse(b, [], text, false);
    expect((expected as string[][])[4999][6]).to.equal(`${'word '.repeat(15 + (4999 % 30))}4999`);
    expect(parse(b, [1000, 70000], text, true)).to.deep.equal(expected);
  });

  it('finds repeated strings through its byte cache and keeps mostly distinct ones right', () => {
    const lines: string[] = [];
    for (let i = 0; i < 6000; i++) lines.push(`${i}|${i}|${i}.5|2024-01-0${(i % 9) + 1}|${['A', 'N', 'R'][i % 3]}|v${i % 7}|comment ${i * 7919}`);
    const b = Buffer.from(lines.join('\n') + '\n');
    expect(parse(b, [1000, 70000], text, true)).to.deep.equal(parse(b, [], text, false));
  });
});
