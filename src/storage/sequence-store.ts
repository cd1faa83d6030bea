// Sequence values: not transactional and shared by every session. nextval runs synchronously on
// the single JS thread, so two sessions can never be handed the same value.
//
// Durability follows PostgreSQL's scheme (SEQ_LOG_VALS): the stored record is kept LOG_AHEAD steps
// ahead of the values handed out, so most nextval calls write nothing. Writes go through the KV
// store's ordered write queue, so the record is durable no later than any commit that follows the
// nextval; after a crash the sequence resumes past every value handed out (skipping up to LOG_AHEAD
// values, as PostgreSQL does), and a clean close writes the exact state.
//
// Key: 's/<sequence oid>' → JSON { last: string, isCalled: boolean }.
import { SqlError, SqlState } from '../types/sql-error';
import { SequenceAccess, SequenceDef } from './api';
import { KvStore } from './kv-store';

const LOG_AHEAD = 32n;

interface SequenceState {
  last: bigint;
  isCalled: boolean;
  /** The value the stored record covers up to; nextval beyond it writes a new record. null = write on next call. */
  logged: bigint | null;
}

export function sequenceKey(id: number): string {
  return `s/${id}`;
}

export class SequenceStore implements SequenceAccess {
  private readonly states = new Map<number, SequenceState>();
  private failure: unknown = null;

  constructor(private readonly kv: KvStore) {}

  /** A sequence created (its OID may be one an aborted transaction used): start afresh. */
  reset(def: SequenceDef): void {
    this.states.set(def.id, { last: BigInt(def.start), isCalled: false, logged: null });
  }

  /** A dropped sequence (committed): forget its state; the caller deletes its key. */
  forget(id: number): void {
    this.states.delete(id);
  }

  private load(def: SequenceDef): SequenceState {
    let st = this.states.get(def.id);
    if (st !== undefined) return st;
    const raw = this.kv.get(sequenceKey(def.id));
    if (raw === undefined) st = { last: BigInt(def.start), isCalled: false, logged: null };
    else {
      const s = JSON.parse(raw.toString()) as { last: string; isCalled: boolean };
      st = { last: BigInt(s.last), isCalled: s.isCalled, logged: null };
    }
    this.states.set(def.id, st);
    return st;
  }

  private write(id: number, last: bigint, isCalled: boolean): void {
    if (this.failure !== null) throw new SqlError(SqlState.internalError, `could not write sequence state: ${String(this.failure)}`);
    const value = Buffer.from(JSON.stringify({ last: last.toString(), isCalled }));
    this.kv.write([[sequenceKey(id), value]]).catch((err) => {
      this.failure = err;
    });
  }

  next(def: SequenceDef): bigint {
    const st = this.load(def);
    const inc = BigInt(def.increment);
    const min = BigInt(def.min);
    const max = BigInt(def.max);
    let v: bigint;
    if (!st.isCalled) v = st.last;
    else {
      v = st.last + inc;
      if (inc > 0n && v > max) {
        if (!def.cycle) throw new SqlError(SqlState.sequenceGeneratorLimitExceeded, `nextval: reached maximum value of sequence "${def.name}" (${def.max})`);
        v = min;
      } else if (inc < 0n && v < min) {
        if (!def.cycle) throw new SqlError(SqlState.sequenceGeneratorLimitExceeded, `nextval: reached minimum value of sequence "${def.name}" (${def.min})`);
        v = max;
      }
    }
    st.last = v;
    st.isCalled = true;
    if (st.logged === null || (inc > 0n ? v > st.logged : v < st.logged)) {
      let ahead = v + inc * LOG_AHEAD;
      if (ahead > max) ahead = max;
      if (ahead < min) ahead = min;
      st.logged = ahead;
      this.write(def.id, ahead, true);
    }
    return v;
  }

  set(def: SequenceDef, value: bigint, isCalled: boolean): void {
    const min = BigInt(def.min);
    const max = BigInt(def.max);
    if (value < min || value > max)
      throw new SqlError(SqlState.numericValueOutOfRange, `setval: value ${value} is out of bounds for sequence "${def.name}" (${def.min}..${def.max})`);
    const st = this.load(def);
    st.last = value;
    st.isCalled = isCalled;
    st.logged = null;
    this.write(def.id, value, isCalled);
  }

  state(def: SequenceDef): { lastValue: bigint; logCount: number; isCalled: boolean } {
    const st = this.load(def);
    // log_cnt as PostgreSQL shows it: values still covered by the stored record.
    const logCount = st.isCalled && st.logged !== null ? Number((st.logged - st.last) / BigInt(def.increment)) : 0;
    return { lastValue: st.last, logCount, isCalled: st.isCalled };
  }

  /** The record that covers every value handed out so far (written when the sequence is committed). */
  durableRecord(def: SequenceDef): Buffer {
    const st = this.load(def);
    const last = st.logged !== null ? st.logged : st.last;
    return Buffer.from(JSON.stringify({ last: last.toString(), isCalled: st.logged !== null ? true : st.isCalled }));
  }

  /** Clean shutdown: store the exact states (no values skipped after a restart). */
  exactEntries(): [string, Buffer][] {
    return [...this.states].map(([id, st]) => [sequenceKey(id), Buffer.from(JSON.stringify({ last: st.last.toString(), isCalled: st.isCalled }))]);
  }
}
