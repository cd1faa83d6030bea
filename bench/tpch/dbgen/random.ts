// The TPC-H seeded random streams (TPC-H spec clause 4.2.2; dbgen's rnd.c): Park & Miller's "minimum
// standard" generator (CACM, Oct 1988), one independent stream per column. Every row consumes a fixed
// number of draws from each of its table's streams (the stream's "boundary"): after a row, each stream
// is advanced to its boundary. That makes row N's values depend only on N, which is what lets a
// worker start at any row by jumping the streams ahead (x_n = a^n x_0 mod m) instead of replaying.

const MODULUS = 2147483647;
const MULTIPLIER = 16807;

/** Table families that own streams (dbgen's table numbers; NONE owns the text pool's stream). */
export const T = { NONE: -1, PART: 0, PSUPP: 1, SUPP: 2, CUST: 3, ORDER: 4, LINE: 5, NATION: 8, REGION: 9 } as const;

// Stream numbers (dbgen's *_SD constants).
export const S = {
  P_MFG: 0, P_BRND: 1, P_TYPE: 2, P_SIZE: 3, P_CNTR: 4, TEXT_POOL: 5, P_CMNT: 6,
  PS_QTY: 7, PS_SCST: 8, PS_CMNT: 9, O_SUPP: 10, O_CLRK: 11, O_CMNT: 12, O_ODATE: 13,
  L_QTY: 14, L_DCNT: 15, L_TAX: 16, L_SHIP: 17, L_SMODE: 18, L_PKEY: 19, L_SKEY: 20, L_SDTE: 21,
  L_CDTE: 22, L_RDTE: 23, L_RFLG: 24, L_CMNT: 25, C_ADDR: 26, C_NTRG: 27, C_PHNE: 28, C_ABAL: 29,
  C_MSEG: 30, C_CMNT: 31, S_ADDR: 32, S_NTRG: 33, S_PHNE: 34, S_ABAL: 35, S_CMNT: 36, P_NAME: 37,
  O_PRIO: 38, HVAR: 39, O_CKEY: 40, N_CMNT: 41, R_CMNT: 42, O_LCNT: 43, BBB_JNK: 44, BBB_TYPE: 45,
  BBB_CMNT: 46, BBB_OFFSET: 47,
} as const;

// [owning table, initial seed, draws per row] for streams 0..47, the reference generator's seed table.
const SEEDS: ReadonlyArray<readonly [number, number, number]> = [
  [T.PART, 1, 1], [T.PART, 46831694, 1], [T.PART, 1841581359, 1], [T.PART, 1193163244, 1],
  [T.PART, 727633698, 1], [T.NONE, 933588178, 1], [T.PART, 804159733, 2], [T.PSUPP, 1671059989, 4],
  [T.PSUPP, 1051288424, 4], [T.PSUPP, 1961692154, 8], [T.ORDER, 1227283347, 1], [T.ORDER, 1171034773, 1],
  [T.ORDER, 276090261, 2], [T.ORDER, 1066728069, 1], [T.LINE, 209208115, 7], [T.LINE, 554590007, 7],
  [T.LINE, 721958466, 7], [T.LINE, 1371272478, 7], [T.LINE, 675466456, 7], [T.LINE, 1808217256, 7],
  [T.LINE, 2095021727, 7], [T.LINE, 1769349045, 7], [T.LINE, 904914315, 7], [T.LINE, 373135028, 7],
  [T.LINE, 717419739, 7], [T.LINE, 1095462486, 14], [T.CUST, 881155353, 9], [T.CUST, 1489529863, 1],
  [T.CUST, 1521138112, 3], [T.CUST, 298370230, 1], [T.CUST, 1140279430, 1], [T.CUST, 1335826707, 2],
  [T.SUPP, 706178559, 9], [T.SUPP, 110356601, 1], [T.SUPP, 884434366, 3], [T.SUPP, 962338209, 1],
  [T.SUPP, 1341315363, 2], [T.PART, 709314158, 92], [T.ORDER, 591449447, 1], [T.LINE, 431918286, 1],
  [T.ORDER, 851767375, 1], [T.NATION, 606179079, 2], [T.REGION, 1500869201, 2], [T.ORDER, 1434868289, 1],
  [T.SUPP, 263032577, 1], [T.SUPP, 753643799, 1], [T.SUPP, 202794285, 1], [T.SUPP, 715851524, 1],
];

/**
 * 16807 * seed mod (2^31 - 1) in 32-bit integer steps (Schrage's method, as in Park & Miller's
 * paper), much cheaper than a floating-point remainder.
 */
export function nextSeed(seed: number): number {
  const hi = (seed / 127773) | 0;
  const next = 16807 * (seed - hi * 127773) - 2836 * hi;
  return next > 0 ? next : next + MODULUS;
}

/** a*b mod m for a, b < 2^31 without leaving exact double range (the product alone would need 62 bits). */
function mulMod(a: number, b: number): number {
  const hi = Math.floor(b / 65536);
  const lo = b % 65536;
  return (((a * hi) % MODULUS) * 65536 + a * lo) % MODULUS;
}

/** The seed after n draws from `seed` (dbgen's NthElement: square-and-multiply on the multiplier). */
export function skipAhead(seed: number, n: number): number {
  let mult = MULTIPLIER;
  let z = seed;
  while (n > 0) {
    if (n % 2 !== 0) z = mulMod(mult, z);
    n = Math.floor(n / 2);
    mult = mulMod(mult, mult);
  }
  return z;
}

export class Streams {
  readonly seed = new Float64Array(SEEDS.length);
  readonly used = new Int32Array(SEEDS.length);
  private readonly rowStreams: number[];

  /** Streams for one table family (its own and its child's), positioned at row `firstRow` (1-based). */
  constructor(tables: readonly number[], firstRow = 1) {
    this.rowStreams = [];
    for (let s = 0; s < SEEDS.length; s++) {
      const [table, initial, perRow] = SEEDS[s];
      this.seed[s] = initial;
      if (tables.includes(table)) {
        this.rowStreams.push(s);
        this.seed[s] = skipAhead(initial, (firstRow - 1) * perRow);
      }
    }
  }

  /** Uniform integer in [low, high] (dbgen's UnifInt: scaled through a double, truncated). */
  int(low: number, high: number, s: number): number {
    const v = nextSeed(this.seed[s]);
    this.seed[s] = v;
    this.used[s]++;
    return low + Math.floor((v / MODULUS) * (high - low + 1));
  }

  /**
   * A draw for [0, MAX_LONG]: the reference computes that range in 32-bit ints, where it wraps to
   * -2^31, so the value is a non-positive number whose low bits a_rnd() then uses.
   */
  wrappedInt(s: number): number {
    const v = nextSeed(this.seed[s]);
    this.seed[s] = v;
    this.used[s]++;
    return Math.trunc((v / MODULUS) * -2147483648);
  }

  /** Ends a row: every stream of the family jumps to its per-row boundary (dbgen's row_stop). */
  endRow(): void {
    const list = this.rowStreams;
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      let missing = SEEDS[s][2] - this.used[s];
      let v = this.seed[s];
      while (missing-- > 0) v = nextSeed(v);
      this.seed[s] = v;
      this.used[s] = 0;
    }
  }
}
