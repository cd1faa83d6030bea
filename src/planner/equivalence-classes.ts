// Join selectivity of column = column equalities between relations, by equivalence class: columns
// equated directly or through other relations (l_partkey = p_partkey and ps_partkey = p_partkey put
// l_partkey, p_partkey and ps_partkey in one class). For a set of relations, each class whose
// columns span k of them keeps the rows matching on one value: the product of all but the smallest
// of their distinct counts (for two relations 1/max(d1, d2), the containment assumption).
//
// Two relations that meet in several classes (lineitem and partsupp on partkey and suppkey, joined
// directly as in TPC-H Q9 or around the cycle lineitem–part–partsupp–supplier) are one join on a
// composite key, not independent joins per column: when one side's columns there cover a unique
// key of its table, each row of the other side matches at most one of its rows, so the pair's
// selectivity is 1 / (that table's unfiltered rows); otherwise 1 / the larger side's distinct
// combinations (its rows or the product of its distinct counts, whichever is less).

export interface ClassMember {
  relation: number;
  /** Canonical column index (the column's position in the FROM clause's concatenated row). */
  column: number;
  /** Distinct values of the column in the relation after its pushed-down filters (at most its rows). */
  distinct: number;
}

/** What is known of a relation's keys: its unfiltered rows, rows after its filters, its unique column sets (canonical indexes). */
export interface RelationKeys {
  baseRows: number;
  rows: number;
  unique: number[][];
}

interface CompositePair {
  a: number;
  b: number;
  /** Indexes into classes of the classes both relations have columns in. */
  shared: number[];
}

export class EquivalenceClasses {
  private readonly pairs: CompositePair[] = [];
  private readonly memo = new Map<number, number>();

  constructor(
    readonly classes: ClassMember[][],
    /** Per class, its equalities as pairs of relations (a class holds only what they imply). */
    private readonly links: [number, number][][],
    private readonly keys: RelationKeys[],
  ) {
    const relationsOf = classes.map((c) => new Set(c.map((m) => m.relation)));
    const n = keys.length;
    for (let a = 0; a < n; a++)
      for (let b = a + 1; b < n; b++) {
        const shared = relationsOf.flatMap((rs, k) => (rs.has(a) && rs.has(b) ? [k] : []));
        if (shared.length >= 2) this.pairs.push({ a, b, shared });
      }
  }

  /** Builds the classes from equalities between two relations' columns (union-find over canonical columns). */
  static fromEqualities(equalities: [ClassMember, ClassMember][], keys: RelationKeys[]): EquivalenceClasses {
    const parent = new Map<number, number>();
    const member = new Map<number, ClassMember>();
    const find = (c: number): number => {
      let p = parent.get(c) ?? c;
      if (p !== c) {
        p = find(p);
        parent.set(c, p);
      }
      return p;
    };
    for (const [x, y] of equalities) {
      member.set(x.column, x);
      member.set(y.column, y);
      const rx = find(x.column);
      const ry = find(y.column);
      if (rx !== ry) parent.set(rx, ry);
    }
    const index = new Map<number, number>();
    const classes: ClassMember[][] = [];
    for (const [c, m] of member) {
      const r = find(c);
      if (!index.has(r)) {
        index.set(r, classes.length);
        classes.push([]);
      }
      classes[index.get(r)!].push(m);
    }
    const links: [number, number][][] = classes.map(() => []);
    for (const [x, y] of equalities) links[index.get(find(x.column))!].push([x.relation, y.relation]);
    return new EquivalenceClasses(classes, links, keys);
  }

  /**
   * Selectivity of all the equalities among the relations in mask. Within a class only relations
   * linked by equalities among the present ones are equated (the planner applies no implied
   * equality: lineitem and partsupp are equal on suppkey only once supplier joins them).
   */
  selectivity(mask: number): number {
    let s = this.memo.get(mask);
    if (s !== undefined) return s;
    s = 1;
    const present = (r: number) => (mask & (1 << r)) !== 0;
    // Per class: relation → its component's root among the present relations, and its distinct count.
    const components: Map<number, number>[] = [];
    const distinct: Map<number, number>[] = [];
    this.classes.forEach((c, k) => {
      const d = new Map<number, number>();
      // One distinct count per relation (the largest, when a relation has several columns in the class).
      for (const m of c) if (present(m.relation)) d.set(m.relation, Math.max(d.get(m.relation) ?? 1, m.distinct));
      const root = new Map<number, number>([...d.keys()].map((r) => [r, r]));
      const find = (r: number): number => (root.get(r) === r ? r : find(root.get(r)!));
      for (const [a, b] of this.links[k]) if (present(a) && present(b)) root.set(find(a), find(b));
      const comp = new Map<number, number>();
      const groups = new Map<number, number[]>();
      for (const r of d.keys()) {
        const g = find(r);
        comp.set(r, g);
        groups.set(g, [...(groups.get(g) ?? []), d.get(r)!]);
      }
      for (const values of groups.values()) {
        values.sort((x, y) => x - y);
        for (let i = 1; i < values.length; i++) s! /= Math.max(1, values[i]);
      }
      components.push(comp);
      distinct.push(d);
    });
    for (const p of this.pairs) {
      if (!present(p.a) || !present(p.b)) continue;
      const shared = p.shared.filter((k) => components[k].get(p.a) === components[k].get(p.b));
      if (shared.length < 2) continue;
      let independent = 1;
      let da = 1;
      let db = 1;
      for (const k of shared) {
        const x = distinct[k].get(p.a)!;
        const y = distinct[k].get(p.b)!;
        independent *= Math.max(x, y);
        da *= x;
        db *= y;
      }
      const keyRows = Math.max(this.keyRows(p.a, shared), this.keyRows(p.b, shared));
      const combinations = keyRows > 0 ? keyRows : Math.max(Math.min(this.keys[p.a].rows, da), Math.min(this.keys[p.b].rows, db), 1);
      s *= Math.max(1, independent / combinations);
    }
    this.memo.set(mask, s);
    return s;
  }

  /** The unfiltered rows of relation r when its columns in the shared classes cover one of its unique keys, else 0. */
  private keyRows(r: number, shared: number[]): number {
    const cols = new Set<number>();
    for (const k of shared) for (const m of this.classes[k]) if (m.relation === r) cols.add(m.column);
    const covered = this.keys[r].unique.some((key) => key.length > 0 && key.every((c) => cols.has(c)));
    return covered ? Math.max(1, this.keys[r].baseRows) : 0;
  }
}
