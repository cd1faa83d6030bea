// Randomized variants of the 22 TPC-H templates: the substitution parameters of the spec's qgen
// (dates, nations, regions, segments, brands, types, containers, ship modes, quantities) drawn
// from their domains with a seeded generator, substituted into bench/tpch/queries/qNN.sql.
import { Rng } from '../../src/ml/rng';
import { querySql } from '../tpch/run-queries';

export const NATIONS = ['ALGERIA', 'ARGENTINA', 'BRAZIL', 'CANADA', 'EGYPT', 'ETHIOPIA', 'FRANCE', 'GERMANY', 'INDIA', 'INDONESIA', 'IRAN', 'IRAQ', 'JAPAN', 'JORDAN', 'KENYA', 'MOROCCO', 'MOZAMBIQUE', 'PERU', 'CHINA', 'ROMANIA', 'SAUDI ARABIA', 'VIETNAM', 'RUSSIA', 'UNITED KINGDOM', 'UNITED STATES'];
export const NATION_REGION = [0, 1, 1, 1, 4, 0, 3, 3, 2, 2, 4, 4, 2, 4, 0, 0, 0, 1, 2, 3, 4, 2, 3, 3, 1];
export const REGIONS = ['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST'];
export const SEGMENTS = ['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'MACHINERY', 'HOUSEHOLD'];
export const SHIPMODES = ['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'];
export const PRIORITIES = ['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'];
export const TYPE1 = ['STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO'];
export const TYPE2 = ['ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED'];
export const TYPE3 = ['TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER'];
export const CONTAINER1 = ['SM', 'LG', 'MED', 'JUMBO', 'WRAP'];
export const CONTAINER2 = ['CASE', 'BOX', 'BAG', 'JAR', 'PKG', 'PACK', 'CAN', 'DRUM'];
export const COLORS = ['almond', 'antique', 'aquamarine', 'azure', 'beige', 'bisque', 'black', 'blanched', 'blue', 'blush', 'brown', 'burlywood', 'chartreuse', 'chocolate', 'coral', 'cornflower', 'cream', 'cyan', 'dark', 'deep', 'dim', 'dodger', 'drab', 'firebrick', 'forest', 'frosted', 'gainsboro', 'ghost', 'goldenrod', 'green', 'grey', 'honeydew', 'hot', 'indian', 'ivory', 'khaki', 'lace', 'lavender', 'lawn', 'lemon', 'light', 'lime', 'linen', 'magenta', 'maroon', 'medium', 'metallic', 'midnight', 'mint', 'misty', 'moccasin', 'navajo', 'navy', 'olive', 'orange', 'orchid', 'pale', 'papaya', 'peach', 'peru', 'pink', 'plum', 'powder', 'puff', 'purple', 'red', 'rose', 'rosy', 'royal', 'saddle', 'salmon', 'sandy', 'seashell', 'sienna', 'sky', 'slate', 'smoke', 'snow', 'spring', 'steel', 'tan', 'thistle', 'tomato', 'turquoise', 'violet', 'wheat', 'white', 'yellow'];

export class Params {
  constructor(readonly rng: Rng) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rng.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rng.next() * xs.length)];
  }
  distinct<T>(xs: readonly T[], n: number): T[] {
    const out: T[] = [];
    while (out.length < n) {
      const x = this.pick(xs);
      if (!out.includes(x)) out.push(x);
    }
    return out;
  }
  month(y0: number, m0: number, y1: number, m1: number): string {
    const k = this.int(y0 * 12 + m0 - 1, y1 * 12 + m1 - 1);
    return `${Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}-01`;
  }
  year(lo: number, hi: number): string {
    return `${this.int(lo, hi)}-01-01`;
  }
  brand(): string {
    return `Brand#${this.int(1, 5)}${this.int(1, 5)}`;
  }
  container(): string {
    return `${this.pick(CONTAINER1)} ${this.pick(CONTAINER2)}`;
  }
}

type Subst = [string, string][];

/** The substitutions for one query template. */
function substitutions(q: string, p: Params): Subst {
  switch (q) {
    case 'q01':
      return [["interval '90' day", `interval '${p.int(60, 120)}' day`]];
    case 'q02':
      return [['p_size = 15', `p_size = ${p.int(1, 50)}`], ["'%BRASS'", `'%${p.pick(TYPE3)}'`], ["'EUROPE'", `'${p.pick(REGIONS)}'`]];
    case 'q03':
      return [["'BUILDING'", `'${p.pick(SEGMENTS)}'`], ["'1995-03-15'", `'1995-03-${String(p.int(1, 31)).padStart(2, '0')}'`]];
    case 'q04':
      return [["'1993-07-01'", `'${p.month(1993, 1, 1997, 10)}'`]];
    case 'q05':
      return [["'ASIA'", `'${p.pick(REGIONS)}'`], ["'1994-01-01'", `'${p.year(1993, 1997)}'`]];
    case 'q06': {
      const d = p.int(2, 9) / 100;
      return [["'1994-01-01'", `'${p.year(1993, 1997)}'`], ['.06 - 0.01 and .06 + 0.01', `${d} - 0.01 and ${d} + 0.01`], ['l_quantity < 24', `l_quantity < ${p.int(24, 25)}`]];
    }
    case 'q07': {
      const [a, b] = p.distinct(NATIONS, 2);
      return [["'FRANCE'", `'${a}'`], ["'GERMANY'", `'${b}'`]];
    }
    case 'q08': {
      const n = p.int(0, NATIONS.length - 1);
      return [["'BRAZIL'", `'${NATIONS[n]}'`], ["'AMERICA'", `'${REGIONS[NATION_REGION[n]]}'`], ["'ECONOMY ANODIZED STEEL'", `'${p.pick(TYPE1)} ${p.pick(TYPE2)} ${p.pick(TYPE3)}'`]];
    }
    case 'q09':
      return [["'%green%'", `'%${p.pick(COLORS)}%'`]];
    case 'q10':
      return [["'1993-10-01'", `'${p.month(1993, 2, 1995, 1)}'`]];
    case 'q11':
      return [["'GERMANY'", `'${p.pick(NATIONS)}'`]];
    case 'q12': {
      const [a, b] = p.distinct(SHIPMODES, 2);
      return [["'MAIL'", `'${a}'`], ["'SHIP'", `'${b}'`], ["'1994-01-01'", `'${p.year(1993, 1997)}'`]];
    }
    case 'q13':
      return [["'%special%requests%'", `'%${p.pick(['special', 'pending', 'unusual', 'express'])}%${p.pick(['packages', 'requests', 'accounts', 'deposits'])}%'`]];
    case 'q14':
      return [["'1995-09-01'", `'${p.month(1993, 1, 1997, 12)}'`]];
    case 'q15':
      return [["'1996-01-01'", `'${p.month(1993, 1, 1997, 10)}'`]];
    case 'q16': {
      const sizes = p.distinct(Array.from({ length: 50 }, (_, i) => i + 1), 8);
      return [["'Brand#45'", `'${p.brand()}'`], ["'MEDIUM POLISHED%'", `'${p.pick(TYPE1)} ${p.pick(TYPE2)}%'`], ['(49, 14, 23, 45, 19, 3, 36, 9)', `(${sizes.join(', ')})`]];
    }
    case 'q17':
      return [["'Brand#23'", `'${p.brand()}'`], ["'MED BOX'", `'${p.container()}'`]];
    case 'q18':
      return [['> 300', `> ${p.int(312, 315)}`]];
    case 'q19':
      return [["'Brand#12'", `'${p.brand()}'`], ["'Brand#23'", `'${p.brand()}'`], ["'Brand#34'", `'${p.brand()}'`], ['>= 1 and l_quantity <= 1 + 10', `>= ${p.int(1, 10)} and l_quantity <= ${p.int(1, 10)} + 10`], ['>= 10 and l_quantity <= 10 + 10', `>= ${p.int(10, 20)} and l_quantity <= ${p.int(10, 20)} + 10`], ['>= 20 and l_quantity <= 20 + 10', `>= ${p.int(20, 30)} and l_quantity <= ${p.int(20, 30)} + 10`]];
    case 'q20':
      return [["'forest%'", `'${p.pick(COLORS)}%'`], ["'1994-01-01'", `'${p.year(1993, 1997)}'`], ["'CANADA'", `'${p.pick(NATIONS)}'`]];
    case 'q21':
      return [["'SAUDI ARABIA'", `'${p.pick(NATIONS)}'`]];
    case 'q22': {
      const codes = p.distinct(Array.from({ length: 25 }, (_, i) => String(i + 10)), 7);
      return [["('13', '31', '23', '29', '30', '18', '17')", `(${codes.map((c) => `'${c}'`).join(', ')})`]];
    }
  }
  return [];
}

/** A variant of template q with fresh substitution parameters. */
export function tpchVariant(q: string, p: Params): string {
  let sql = querySql(q);
  for (const [from, to] of substitutions(q, p)) {
    if (!sql.includes(from)) throw new Error(`${q}: parameter ${from} not found in the template`);
    sql = sql.split(from).join(to);
  }
  return sql;
}
