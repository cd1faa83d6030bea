// Compares a query's psql unaligned output with PostgreSQL's reference answer under the TPC-H
// rules: every cell equal as text; rows must come in the same order, except that rows which tie
// under the query's ORDER BY keys may come in any order among themselves.

/** ORDER BY key columns (0-based positions in the output) per query, from queries/qNN.sql. */
export const ORDER_KEYS: Record<string, number[]> = {
  q01: [0, 1],
  q02: [0, 2, 1, 3],
  q03: [1, 2],
  q04: [0],
  q05: [1],
  q06: [],
  q07: [0, 1, 2],
  q08: [0],
  q09: [0, 1],
  q10: [2],
  q11: [1],
  q12: [0],
  q13: [1, 0],
  q14: [],
  q15: [0],
  q16: [3, 0, 1, 2],
  q17: [],
  q18: [4, 3],
  q19: [],
  q20: [0],
  q21: [1, 0],
  q22: [0],
};

/** null when equal under the rules, else a description of the first difference. */
export function compareAnswer(query: string, expected: string, actual: string): string | null {
  const want = expected.trimEnd().split('\n');
  const got = actual.trimEnd().split('\n');
  if (want.join('\n') === got.join('\n')) return null;
  if (want[0] !== got[0]) return `header differs: expected ${want[0]}, got ${got[0]}`;
  if (want.length !== got.length) return `expected ${want.length - 1} rows, got ${got.length - 1}`;
  const keys = ORDER_KEYS[query] ?? [];
  const keyOf = (line: string) => {
    const cells = line.split('|');
    return keys.map((k) => cells[k]).join('|');
  };
  // Walk groups of rows that tie on the ORDER BY keys; each group must hold the same rows.
  let i = 1;
  while (i < want.length) {
    const key = keyOf(want[i]);
    let j = i;
    while (j < want.length && keyOf(want[j]) === key) j++;
    const a = want.slice(i, j).sort();
    const b = got.slice(i, j).sort();
    for (let k = 0; k < a.length; k++)
      if (a[k] !== b[k]) return `row ${i + k}: expected ${a[k]}, got ${b[k]}`;
    i = j;
  }
  return null;
}
