// The session side of nextval/currval/setval/lastval: names are resolved in the catalog as the
// session sees it; values come from storage's shared, non-transactional sequence state; currval
// and lastval remember this session's own last nextval (PostgreSQL's per-backend cache).
import { SequenceFunctions } from '../exec/context';
import { SqlError, SqlState } from '../types/sql-error';
import { resolveSequence } from '../sql/bind-sequence';
import type { EngineSession } from './session';
import { readOnlyViolation } from '../txn';

export function sessionSequences(session: EngineSession): SequenceFunctions {
  const storage = () => session.db.storage.sequences;
  return {
    nextval(name) {
      // Sequences are written outside transactions, yet PostgreSQL refuses them in read-only ones (and on a hot standby).
      if (session.readOnly) throw readOnlyViolation('nextval()');
      const seq = resolveSequence(session.catalog(), name);
      const v = Number(storage().next(seq));
      const mem = session.sequenceMemory;
      mem.last.set(seq.id, v);
      mem.setLastId(seq.id);
      return v;
    },
    currval(name) {
      const seq = resolveSequence(session.catalog(), name);
      const v = session.sequenceMemory.last.get(seq.id);
      if (v === undefined) throw new SqlError(SqlState.objectNotInPrerequisiteState, `currval of sequence "${seq.name}" is not yet defined in this session`);
      return v;
    },
    setval(name, value, isCalled) {
      if (session.readOnly) throw readOnlyViolation('setval()');
      const seq = resolveSequence(session.catalog(), name);
      storage().set(seq, BigInt(value), isCalled);
      // setval with is_called makes currval return the value, as in PostgreSQL.
      if (isCalled) {
        const mem = session.sequenceMemory;
        mem.last.set(seq.id, value);
      }
      return value;
    },
    lastval() {
      const mem = session.sequenceMemory;
      if (mem.lastId === null) throw new SqlError(SqlState.objectNotInPrerequisiteState, 'lastval is not yet defined in this session');
      const seq = session.catalog().sequences().find((q) => q.id === mem.lastId);
      if (seq === undefined) throw new SqlError(SqlState.objectNotInPrerequisiteState, 'lastval is not yet defined in this session');
      return mem.last.get(seq.id)!;
    },
  };
}
