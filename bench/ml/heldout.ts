// Held-out join queries over the TPC-H schema: a random connected subgraph (2–6 tables) of the
// schema's key/foreign-key graph, each table with 0–2 random predicates drawn from a pool of
// columns and forms the TPC-H templates do not use together (ranges on sizes, prices, balances,
// quantities and dates, equalities on flags and names, LIKE on names and comments,
// column-to-column comparisons), counted with count(*).
import { COLORS, CONTAINER1, NATIONS, Params, PRIORITIES, REGIONS, SEGMENTS, SHIPMODES, TYPE1 } from './tpch-variants';

interface Edge {
  a: string;
  b: string;
  on: string;
}

const EDGES: Edge[] = [
  { a: 'nation', b: 'region', on: 'n_regionkey = r_regionkey' },
  { a: 'supplier', b: 'nation', on: 's_nationkey = n_nationkey' },
  { a: 'customer', b: 'nation', on: 'c_nationkey = n_nationkey' },
  { a: 'partsupp', b: 'part', on: 'ps_partkey = p_partkey' },
  { a: 'partsupp', b: 'supplier', on: 'ps_suppkey = s_suppkey' },
  { a: 'orders', b: 'customer', on: 'o_custkey = c_custkey' },
  { a: 'lineitem', b: 'orders', on: 'l_orderkey = o_orderkey' },
  { a: 'lineitem', b: 'part', on: 'l_partkey = p_partkey' },
  { a: 'lineitem', b: 'supplier', on: 'l_suppkey = s_suppkey' },
];

type Gen = (p: Params) => string;

const PREDICATES: Record<string, Gen[]> = {
  region: [(p) => `r_name = '${p.pick(REGIONS)}'`, (p) => `r_name <> '${p.pick(REGIONS)}'`],
  nation: [(p) => `n_name = '${p.pick(NATIONS)}'`, (p) => `n_name in ('${p.distinct(NATIONS, 3).join("', '")}')`, (p) => `n_nationkey < ${p.int(3, 20)}`],
  part: [
    (p) => `p_size between ${p.int(1, 25)} and ${p.int(26, 50)}`,
    (p) => `p_retailprice < ${p.int(950, 1900)}`,
    (p) => `p_container like '${p.pick(CONTAINER1)}%'`,
    (p) => `p_mfgr = 'Manufacturer#${p.int(1, 5)}'`,
    (p) => `p_name like '%${p.pick(COLORS)}%'`,
    (p) => `p_type like '${p.pick(TYPE1)}%'`,
  ],
  supplier: [(p) => `s_acctbal > ${p.int(-999, 9000)}`, (p) => `s_comment like '%${p.pick(['final', 'regular', 'express', 'furious'])}%'`],
  customer: [(p) => `c_acctbal between ${p.int(-999, 3000)} and ${p.int(4000, 9999)}`, (p) => `c_mktsegment <> '${p.pick(SEGMENTS)}'`, (p) => `c_acctbal < ${p.int(-500, 2000)}`],
  orders: [
    (p) => `o_totalprice > ${p.int(1000, 400000)}`,
    (p) => `o_orderdate >= date '${p.month(1992, 1, 1998, 6)}'`,
    (p) => `o_orderpriority = '${p.pick(PRIORITIES)}'`,
    (p) => `o_orderstatus = '${p.pick(['F', 'O', 'P'])}'`,
    (p) => `o_shippriority = 0`,
  ],
  lineitem: [
    (p) => `l_quantity < ${p.int(2, 49)}`,
    (p) => `l_discount between 0.0${p.int(0, 4)} and 0.0${p.int(5, 9)}`,
    (p) => `l_receiptdate > l_commitdate`,
    (p) => `l_returnflag = '${p.pick(['A', 'N', 'R'])}'`,
    (p) => `l_shipmode in ('${p.distinct(SHIPMODES, 2).join("', '")}')`,
    (p) => `l_shipdate < date '${p.month(1992, 3, 1998, 11)}'`,
    (p) => `l_tax > 0.0${p.int(1, 7)}`,
  ],
  partsupp: [(p) => `ps_availqty < ${p.int(100, 9900)}`, (p) => `ps_supplycost between ${p.int(1, 500)} and ${p.int(501, 1000)}`],
};

/** One held-out query. */
export function heldOutQuery(p: Params): string {
  const size = p.int(2, 6);
  const tables = [p.pick(Object.keys(PREDICATES))];
  const joins: string[] = [];
  while (tables.length < size) {
    const frontier = EDGES.filter((e) => tables.includes(e.a) !== tables.includes(e.b));
    if (frontier.length === 0) break;
    const e = p.pick(frontier);
    tables.push(tables.includes(e.a) ? e.b : e.a);
    joins.push(e.on);
  }
  // Extra edges between chosen tables close cycles (lineitem–partsupp–supplier–lineitem …).
  for (const e of EDGES) if (tables.includes(e.a) && tables.includes(e.b) && !joins.includes(e.on)) joins.push(e.on);
  const preds: string[] = [];
  for (const t of tables) {
    const k = p.int(0, 2);
    const pool = PREDICATES[t];
    for (const g of p.distinct(pool, Math.min(k, pool.length))) preds.push(g(p));
  }
  const where = [...joins, ...preds];
  return `select count(*) from ${tables.join(', ')}${where.length > 0 ? ` where ${where.join(' and ')}` : ''}`;
}
