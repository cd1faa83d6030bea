// Window frames as two typed arrays over sorted positions: start[i] (inclusive) and end[i]
// (exclusive), clipped to the row's partition; start >= end is an empty frame.
//  ROWS counts rows; GROUPS counts peer groups; RANGE with an offset compares the single ORDER BY
//  key (numbers: int, float, numeric) by binary search within the partition, and a row whose key
//  is NULL gets its NULL peers as the frame (as PostgreSQL).
import { WindowFrame } from '../../plan/plan';
import { SqlError, SqlState } from '../../types/sql-error';
import { Decimal, Interval, Scalar, Vector, isDecimal } from '../../types/vector';
import { MICROS_PER_DAY, timestampAddInterval } from '../../types/datetime';
import type { Partitioning } from './window';

export interface FrameOffsets {
  start: Scalar;
  end: Scalar;
}

export interface Frames {
  start: Int32Array;
  end: Int32Array;
}

/** `zone`: the session's time zone, for calendar arithmetic on timestamptz keys with interval offsets. */
export function computeFrames(frame: WindowFrame, p: Partitioning, orderKey: Vector | null, offsets: FrameOffsets, descending: boolean, zone: string): Frames {
  const n = p.n;
  const start = new Int32Array(n);
  const end = new Int32Array(n);
  if (frame.mode === 'rows') {
    const so = rowsOffset(offsets.start, 'starting');
    const eo = rowsOffset(offsets.end, 'ending');
    for (let i = 0; i < n; i++) {
      const ps = p.partStart[i];
      const pe = p.partEnd[i];
      start[i] = clip(boundRows(frame.start.kind, i, so, ps, pe, false), ps, pe);
      end[i] = clip(boundRows(frame.end.kind, i, eo, ps, pe, true), ps, pe);
    }
    return { start, end };
  }
  if (frame.mode === 'groups') return groupFrames(frame, p, offsets, start, end);
  const keys = frame.start.kind === 'preceding' || frame.start.kind === 'following' || frame.end.kind === 'preceding' || frame.end.kind === 'following' ? rangeKeys(orderKey, offsets, descending, frame, zone) : null;
  for (let i = 0; i < n; i++) {
    const ps = p.partStart[i];
    const pe = p.partEnd[i];
    start[i] = boundRange(frame.start.kind, i, p, keys, keys?.start ?? 0, keys?.startTargets ?? null, ps, pe, false);
    end[i] = boundRange(frame.end.kind, i, p, keys, keys?.end ?? 0, keys?.endTargets ?? null, ps, pe, true);
  }
  return { start, end };
}

function clip(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function rowsOffset(v: Scalar, which: string): number {
  if (v === null) return 0;
  const x = typeof v === 'number' ? v : Number(v);
  if (x < 0) throw new SqlError(SqlState.invalidPrecedingOrFollowingSize, `frame ${which} offset must not be negative`);
  return x;
}

type BoundKind = WindowFrame['start']['kind'];

/** A ROWS bound as a position; `isEnd` gives the exclusive end. */
function boundRows(kind: BoundKind, i: number, off: number, ps: number, pe: number, isEnd: boolean): number {
  const e = isEnd ? 1 : 0;
  switch (kind) {
    case 'unbounded_preceding':
      return ps;
    case 'preceding':
      return i - off + e;
    case 'current_row':
      return i + e;
    case 'following':
      return i + off + e;
    case 'unbounded_following':
      return pe;
  }
}

/** ORDER BY key values in ascending direction (negated for DESC) with the offsets in the same units. */
interface RangeKeys {
  values: Float64Array;
  nulls: Uint8Array | null;
  start: number;
  end: number;
  /** Per-row targets (interval offsets: calendar arithmetic differs per row), or null for numbers. */
  startTargets: Float64Array | null;
  endTargets: Float64Array | null;
}

function rangeKeys(key: Vector | null, offsets: FrameOffsets, descending: boolean, frame: WindowFrame, zone: string): RangeKeys {
  if (key === null) throw new SqlError(SqlState.windowingError, 'RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column');
  if (key.kind === 'timestamp' || (key.kind === 'int32' && key.type.name === 'date')) return intervalRangeKeys(key, offsets, descending, frame, zone);
  let scale = 1;
  let raw: ArrayLike<number>;
  switch (key.kind) {
    case 'int32':
    case 'int64':
    case 'float64':
      raw = key.values;
      break;
    case 'numeric':
      if (key.wide !== null) throw new SqlError(SqlState.featureNotSupported, 'RANGE offsets over numeric keys beyond 2^53 are not supported');
      raw = key.values;
      scale = Math.pow(10, key.scale);
      break;
    default:
      throw new SqlError(SqlState.featureNotSupported, `RANGE with offset PRECEDING/FOLLOWING is not supported for column type ${key.type.name}`);
  }
  const sign = descending ? -1 : 1;
  const values = new Float64Array(key.length);
  for (let i = 0; i < key.length; i++) values[i] = sign * raw[i];
  const off = (v: Scalar): number => {
    if (v === null) return 0;
    const x = isDecimal(v) ? decimalToNumber(v) : Number(v);
    if (x < 0 || Number.isNaN(x)) throw new SqlError(SqlState.invalidPrecedingOrFollowingSize, 'invalid preceding or following size in window function');
    return x * scale;
  };
  return { values, nulls: key.nulls, start: off(offsets.start), end: off(offsets.end), startTargets: null, endTargets: null };
}

/** Date and timestamp keys with interval offsets: keys in microseconds, each row's bound computed with calendar arithmetic. */
function intervalRangeKeys(key: Vector, offsets: FrameOffsets, descending: boolean, frame: WindowFrame, zone: string): RangeKeys {
  const n = key.length;
  const raw = (key as { values: ArrayLike<number> }).values;
  const perDay = key.kind === 'int32' ? MICROS_PER_DAY : 1;
  const tz = key.type.name === 'timestamptz' ? zone : null;
  const sign = descending ? -1 : 1;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = sign * raw[i] * perDay;
  const targets = (bound: WindowFrame['start'], v: Scalar): Float64Array | null => {
    if (bound.kind !== 'preceding' && bound.kind !== 'following') return null;
    const iv = v as Interval;
    if (iv.months * 30 * MICROS_PER_DAY + iv.days * MICROS_PER_DAY + iv.micros < 0)
      throw new SqlError(SqlState.invalidPrecedingOrFollowingSize, 'invalid preceding or following size in window function');
    // PRECEDING moves against the sort direction, FOLLOWING with it.
    const back = (bound.kind === 'preceding') !== descending;
    const step: Interval = back ? { months: -iv.months, days: -iv.days, micros: -iv.micros } : iv;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = sign * timestampAddInterval(raw[i] * perDay, step, tz);
    return out;
  };
  return { values, nulls: key.nulls, start: 0, end: 0, startTargets: targets(frame.start, offsets.start), endTargets: targets(frame.end, offsets.end) };
}

function decimalToNumber(d: Decimal): number {
  return Number(d.digits) / Math.pow(10, d.scale);
}

/** First position in [lo, hi) whose key is >= target (strict: > target). */
function search(values: Float64Array, lo: number, hi: number, target: number, strict: boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = values[mid];
    if (strict ? v <= target : v < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function boundRange(kind: BoundKind, i: number, p: Partitioning, keys: RangeKeys | null, off: number, targets: Float64Array | null, ps: number, pe: number, isEnd: boolean): number {
  switch (kind) {
    case 'unbounded_preceding':
      return ps;
    case 'unbounded_following':
      return pe;
    case 'current_row':
      return isEnd ? p.peerEnd[i] : p.peerStart[i];
  }
  const k = keys!;
  if (k.nulls !== null && k.nulls[i] === 1) return isEnd ? p.peerEnd[i] : p.peerStart[i];
  // Non-NULL keys of the partition are contiguous (NULLs sort to one end).
  let lo = ps;
  let hi = pe;
  if (k.nulls !== null) {
    while (lo < hi && k.nulls[lo] === 1) lo++;
    while (hi > lo && k.nulls[hi - 1] === 1) hi--;
  }
  const target = targets !== null ? targets[i] : kind === 'preceding' ? k.values[i] - off : k.values[i] + off;
  return search(k.values, lo, hi, target, isEnd);
}

/** GROUPS frames: offsets count peer groups within the partition. */
function groupFrames(frame: WindowFrame, p: Partitioning, offsets: FrameOffsets, start: Int32Array, end: Int32Array): Frames {
  const n = p.n;
  // Peer groups numbered globally; groupStart/groupEnd by number.
  const groupOf = new Int32Array(n);
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === p.peerStart[i]) {
      starts.push(i);
      ends.push(p.peerEnd[i]);
    }
    groupOf[i] = starts.length - 1;
  }
  const so = rowsOffset(offsets.start, 'starting');
  const eo = rowsOffset(offsets.end, 'ending');
  for (let i = 0; i < n; i++) {
    const ps = p.partStart[i];
    const pe = p.partEnd[i];
    const first = groupOf[ps];
    const last = groupOf[pe - 1];
    const g = groupOf[i];
    const at = (kind: BoundKind, off: number, isEnd: boolean): number => {
      switch (kind) {
        case 'unbounded_preceding':
          return ps;
        case 'unbounded_following':
          return pe;
        case 'current_row':
          return isEnd ? ends[g] : starts[g];
      }
      const t = kind === 'preceding' ? g - off : g + off;
      if (t < first) return ps;
      if (t > last) return pe;
      return isEnd ? ends[t] : starts[t];
    };
    start[i] = at(frame.start.kind, so, false);
    end[i] = at(frame.end.kind, eo, true);
  }
  return { start, end };
}
