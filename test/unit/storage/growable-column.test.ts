// Growable committed columns: appends are written after the committed rows in shared memory; a
// view taken before keeps its own rows and length; NULLs and new dictionary strings follow.
import { expect } from 'chai';
import { GrowableColumn } from '../../../src/storage/growable-column';
import { Types } from '../../../src/types/data-type';
import { Vector } from '../../../src/types/vector';
import { getScalar, vectorFromScalars } from '../../../src/types/vector-ops';

const values = (v: Vector) => Array.from({ length: v.length }, (_, i) => getScalar(v, i));

describe('growable column', () => {
  it('appends text with NULLs and new strings while older views keep their rows', () => {
    const g = GrowableColumn.from(vectorFromScalars(Types.text, ['a', 'b', null]), 10)!;
    const before = g.view(3);
    const after = g.append(vectorFromScalars(Types.text, ['c', 'a', null, 'd']))!;
    expect(values(before)).to.deep.equal(['a', 'b', null]);
    expect(values(after)).to.deep.equal(['a', 'b', null, 'c', 'a', null, 'd']);
    expect(after.kind === 'string' && after.codes.buffer instanceof SharedArrayBuffer).to.equal(true);
  });

  it('appends integers, adds a NULL map when the first NULL comes, refuses rows past its capacity', () => {
    const g = GrowableColumn.from(vectorFromScalars(Types.int4, [1, 2]), 5)!;
    const before = g.view(2);
    const after = g.append(vectorFromScalars(Types.int4, [3, null]))!;
    expect(values(before)).to.deep.equal([1, 2]);
    expect(before.nulls).to.equal(null);
    expect(values(after)).to.deep.equal([1, 2, 3, null]);
    expect(g.append(vectorFromScalars(Types.int4, [5, 6]))).to.equal(null);
    expect(g.length).to.equal(4);
  });

  it('leaves kinds it does not grow to concatenation', () => {
    expect(GrowableColumn.from(vectorFromScalars(Types.interval, [null]), 4)).to.equal(null);
  });
});
