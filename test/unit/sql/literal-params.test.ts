// sql/literal-params.ts: strings with one key parse alike except for their numeric literals.
// Truth is libpg-query itself: the parameterized AST of the first string of a key, with a later
// string's literal values put back where its parameters are, must equal a fresh parse of that
// later string — for every value, including ones that change a literal's kind or sign (token
// locations aside: literals of other lengths shift them, and nothing bound from the AST keeps them).
import { expect } from 'chai';
import { loadParser, parseSql } from '../../../src/sql/parse';
import { constBody, keyHash, literalValue, parameterize, scanLiterals } from '../../../src/sql/literal-params';

/** The parameterized AST with each ParamRef $k replaced by the A_Const the literal of slot k would be. */
function fillParams(node: unknown, values: Map<number, Record<string, unknown>>): unknown {
  if (node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) return node.map((x) => fillParams(x, values));
  const o = node as Record<string, any>;
  if (o.ParamRef !== undefined) return { A_Const: { ...values.get(o.ParamRef.number - 1), location: o.ParamRef.location } };
  const out: Record<string, unknown> = {};
  for (const k in o) out[k] = fillParams(o[k], values);
  return out;
}

const noLocations = (k: string, v: unknown) => (k === 'location' ? undefined : v);

const SHAPES = [
  'UPDATE pgbench_accounts SET abalance = abalance + X WHERE aid = Y;',
  'INSERT INTO h (tid, bid, aid, delta, mtime) VALUES (X, Y, X, -Y, CURRENT_TIMESTAMP)',
  'select X, -Y, - X, a -Y, a - X, 1::varchar(X) from t where b = X limit Y offset X',
  'select X.5 + a, -Y.25e3 * a, a / Xe-2, .Y, a from t',
  "select 'a1' || X, \"c2\" from t where x in (X, Y, -X) order by 1",
  'select - -X, -(Y), +X, a = - - Y from t',
  "select interval '1' second(X), X::float(Y)",
  'select a[X:Y] from t group by 2',
  'delete from t where a between X and Y',
];
const VALUES = ['0', '1', '7', '42', '2147483647', '2147483648', '3000000000', '0000000001', '12345678901234567890', '00', '1.0'];

describe('literal parameters (statement cache keys)', () => {
  before(() => loadParser());

  it('a string of the same key parses to the first one with its own literal values', () => {
    let checked = 0;
    let parameterized = 0;
    for (const shape of SHAPES) {
      const firsts = new Map<string, { sql: string; ast: Record<string, any> }>();
      for (const x of VALUES)
        for (const y of VALUES) {
          const sql = shape.replace(/X/g, x).replace(/Y/g, y);
          let fresh: Record<string, any> | undefined;
          try {
            fresh = parseSql(sql)[0].ast;
          } catch {
            continue; // not valid SQL with this value
          }
          const scan = scanLiterals(sql);
          if (scan === null) continue;
          const first = firsts.get(scan.key);
          if (first === undefined) {
            firsts.set(scan.key, { sql, ast: fresh! });
            continue;
          }
          const p = parameterize(first.sql, scanLiterals(first.sql)!, first.ast);
          if (p === null) continue;
          const values = new Map<number, Record<string, unknown>>();
          let sameFixed = true;
          p.slots.forEach((slot, i) => {
            const lit = scan.literals[i];
            if (slot.param >= 0) values.set(slot.param, constBody(literalValue(sql, lit, slot.negated)));
            else if (sql.slice(slot.negated ? lit.minus : lit.start, lit.end) !== slot.text) sameFixed = false;
          });
          if (!sameFixed) continue; // the cache does not use the entry then
          parameterized += values.size > 0 ? 1 : 0;
          expect(JSON.stringify(fillParams(p.ast, values), noLocations), sql).to.equal(JSON.stringify(fresh, noLocations));
          checked++;
        }
    }
    expect(checked).to.be.greaterThan(200);
    expect(parameterized).to.be.greaterThan(150);
  });

  it('makes only value positions parameters: LIMIT, ORDER BY positions and type modifiers stay fixed', () => {
    const sql = 'select a + 1, 2 from t where b = -3 order by 1 limit 4';
    const p = parameterize(sql, scanLiterals(sql)!, parseSql(sql)[0].ast)!;
    expect(p.slots.map((s) => [s.param, s.negated, s.text])).to.deep.equal([
      [0, false, '1'],
      [-1, false, '2'],
      [1, true, '-3'],
      [-1, false, '1'],
      [-1, false, '4'],
    ]);
    expect(p.relations).to.deep.equal([{ schema: undefined, name: 't' }]);
    const ins = 'insert into s.h (a, b) values (5, -6)';
    const q = parameterize(ins, scanLiterals(ins)!, parseSql(ins)[0].ast)!;
    expect(q.slots.map((s) => s.param)).to.deep.equal([0, 1]);
    expect(q.relations).to.deep.equal([{ schema: 's', name: 'h' }]);
  });

  it('does not key strings it cannot lex with certainty', () => {
    for (const sql of ["select E'\\'1'", 'select 1 -- 2', 'select /* 1 */ 2', 'select $$1$$', 'select $1 + 2', 'select 0x1f', 'select 1_000', "select 'é', 1", 'select 1.2.3'])
      expect(scanLiterals(sql), sql).to.equal(null);
    expect(scanLiterals("select 'x1', \"y2\", t3.a4 + 12, 1.5, 3000000000 from t3")!.key).to.equal("select 'x1', \"y2\", t3.a4 + \0i, \0n, \0b from t3");
  });

  it("matches a key in place exactly when it is the string's own key, and hashes it as keyHash does", () => {
    const strings = ['select 1', 'select 12', 'select 1.5', 'select 3000000000', 'select 1 ', 'select a from t where x = 1 and y = 2', 'select a from t where x = 17 and y = 2', 'select a from t where x = 1 and y = 2.0', 'begin', '', 'update t set b = b + -5 where a = 9;'];
    for (const sql of strings) {
      const scan = scanLiterals(sql)!;
      expect(scan.hash, sql).to.equal(keyHash(scan.key));
      for (const other of strings) {
        const key = scanLiterals(other)!.key;
        expect(scan.matches(key), `${sql} / ${other}`).to.equal(key === scan.key);
        expect(scan.matches(key + 'x')).to.equal(false);
      }
    }
  });
});
