// Row counts per scale factor, as the reference generator derives them. Below SF 1 it keeps scale = 1
// and shrinks each table's base count by trunc(1000 * SF) / 1000 (at least one row); from SF 1 up the
// scale is the integer SF.

export interface Scale {
  sf: number;
  scale: number;
  part: number;
  supplier: number;
  customer: number;
  orders: number;
  /** Clerks are numbered 1..clerks (1000 per SF, at least 1000). */
  clerks: number;
}

export function scaleFor(sf: number): Scale {
  if (!(sf > 0)) throw new Error(`scale factor must be positive, got ${sf}`);
  let scale: number;
  let base: (rows: number) => number;
  if (sf < 1) {
    const permille = Math.trunc(1000 * sf);
    scale = 1;
    base = (rows) => Math.max(1, Math.floor((permille * rows) / 1000));
  } else {
    scale = Math.trunc(sf);
    base = (rows) => rows;
  }
  return {
    sf,
    scale,
    part: base(200000) * scale,
    supplier: base(10000) * scale,
    customer: base(150000) * scale,
    orders: base(1500000) * scale,
    clerks: Math.max(scale * 1000, 1000),
  };
}
