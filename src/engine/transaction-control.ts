// BEGIN / COMMIT / ROLLBACK / SAVEPOINT / RELEASE / ROLLBACK TO (and PREPARE TRANSACTION, disabled) with PostgreSQL's messages and
// SQLSTATEs. A savepoint keeps an image of the transaction's private writes; ROLLBACK TO restores
// it (also from the aborted state, which it leaves) and keeps the savepoint, RELEASE forgets it
// and every savepoint after it.
import { SqlError, SqlState } from '../types/sql-error';
import { BoundStatement } from '../sql/bound-statement';
import { parseIsolation } from '../txn';
import { ExecuteResult } from './session-api';
import type { EngineSession } from './session';

type TransactionStatement = Extract<BoundStatement, { kind: 'transaction' }>;

const command = (tag: string): ExecuteResult => ({ kind: 'command', command: tag });

function onlyInBlock(what: string): SqlError {
  return new SqlError(SqlState.noActiveSqlTransaction, `${what} can only be used in transaction blocks`);
}

function findSavepoint(session: EngineSession, name: string): number {
  for (let i = session.savepoints.length - 1; i >= 0; i--) if (session.savepoints[i].name === name) return i;
  throw new SqlError(SqlState.invalidSavepointSpecification, `savepoint "${name}" does not exist`);
}

export async function runTransactionStatement(session: EngineSession, bound: TransactionStatement): Promise<ExecuteResult> {
  switch (bound.action) {
    case 'begin': {
      if (session.inTransactionBlock) {
        session.notice('there is already a transaction in progress', SqlState.activeSqlTransaction, 'WARNING');
        return command('BEGIN');
      }
      const level = bound.isolation !== undefined ? parseIsolation('transaction_isolation', bound.isolation) : null;
      if (level === 'serializable') refuseSerializableOnStandby(session.db);
      // An implicit transaction (statements before BEGIN in one query string) becomes the block.
      if (session.writeTxnOrNull === null && !session.snapshotTaken) session.resetTransactionState(level);
      else if (level !== null) session.isolation = level;
      if (bound.readOnly === false) refuseReadWriteOnStandby(session.db, 'off');
      if (bound.readOnly !== undefined) session.readOnly = bound.readOnly;
      session.inTransactionBlock = true;
      session.setStatus('T');
      return command('BEGIN');
    }
    case 'commit': {
      if (!session.inTransactionBlock) {
        session.notice('there is no transaction in progress', SqlState.noActiveSqlTransaction, 'WARNING');
        return command('COMMIT');
      }
      const failed = session.transactionStatus === 'E';
      session.inTransactionBlock = false;
      session.setStatus('I');
      session.endSettingsTransaction(!failed);
      if (failed) {
        session.abortTxn();
        await session.readsDurable(true);
        return command('ROLLBACK');
      }
      await session.commitTransaction();
      return command('COMMIT');
    }
    case 'rollback':
      return rollback(session);
    case 'prepare': {
      // Two-phase commit is disabled, as in PostgreSQL with max_prepared_transactions = 0 (its
      // default): the transaction is rolled back, and an error says so unless it had already failed.
      const live = session.inTransactionBlock && session.transactionStatus !== 'E';
      const done = await rollback(session);
      if (!live) return done;
      throw new SqlError(SqlState.objectNotInPrerequisiteState, 'prepared transactions are disabled', { hint: 'Set max_prepared_transactions to a nonzero value.' });
    }
    case 'commitPrepared':
    case 'rollbackPrepared': {
      const what = bound.action === 'commitPrepared' ? 'COMMIT PREPARED' : 'ROLLBACK PREPARED';
      if (session.inTransactionBlock) throw new SqlError(SqlState.activeSqlTransaction, `${what} cannot run inside a transaction block`);
      throw new SqlError(SqlState.undefinedObject, `prepared transaction with identifier "${bound.name}" does not exist`);
    }
    case 'savepoint': {
      if (!session.inTransactionBlock) throw onlyInBlock('SAVEPOINT');
      const txn = session.writeTxnOrNull;
      session.savepoints.push({ name: bound.name!, image: txn === null ? null : txn.savepoint(), locks: session.lockMark() });
      return command('SAVEPOINT');
    }
    case 'release': {
      if (!session.inTransactionBlock) throw onlyInBlock('RELEASE SAVEPOINT');
      const at = findSavepoint(session, bound.name!);
      session.savepoints.length = at;
      return command('RELEASE');
    }
    case 'rollbackTo': {
      if (!session.inTransactionBlock) throw onlyInBlock('ROLLBACK TO SAVEPOINT');
      const at = findSavepoint(session, bound.name!);
      const sp = session.savepoints[at];
      session.savepoints.length = at + 1;
      const txn = session.writeTxnOrNull;
      if (sp.image === null) {
        // Nothing was written before the savepoint: drop the writes made since.
        txn?.abort();
        session.writeTxnOrNull = null;
      } else txn!.rollbackTo(sp.image);
      // The locks taken since the savepoint go with its writes (PostgreSQL's subtransaction locks).
      if (sp.locks !== undefined) session.releaseLocksSince(sp.locks);
      session.setStatus('T');
      return command('ROLLBACK');
    }
  }
}

/** ROLLBACK, and what ends a transaction as it does. */
async function rollback(session: EngineSession): Promise<ExecuteResult> {
  if (!session.inTransactionBlock) session.notice('there is no transaction in progress', SqlState.noActiveSqlTransaction, 'WARNING');
  session.endSettingsTransaction(false);
  session.abortTxn();
  session.inTransactionBlock = false;
  session.setStatus('I');
  // What the transaction read is durable before ROLLBACK returns (see awaitDurableReads).
  await session.readsDurable(true);
  return command('ROLLBACK');
}

/**
 * A hot standby's transactions are read-only whatever is asked (PostgreSQL refuses read-write mode
 * during recovery with this error, 0A000, from the check of transaction_read_only).
 */
export function refuseReadWriteOnStandby(db: { readonly hotStandby?: boolean }, value: string | null | undefined): void {
  if (db.hotStandby !== true) return;
  const on = value !== null && value !== undefined && ['on', 'true', 'yes', '1'].includes(value.toLowerCase());
  if (!on) throw new SqlError(SqlState.featureNotSupported, 'cannot set transaction read-write mode during recovery');
}

/** Serializable transactions need the commit log of writers a standby does not have (PostgreSQL refuses them too). */
export function refuseSerializableOnStandby(db: { readonly hotStandby?: boolean }, byDefault = false): void {
  if (db.hotStandby !== true) return;
  throw new SqlError(SqlState.featureNotSupported, 'cannot use serializable mode in a hot standby', {
    detail: byDefault ? '"default_transaction_isolation" is set to "serializable".' : undefined,
    hint: byDefault ? 'You can use "SET default_transaction_isolation = \'repeatable read\'" to change the default.' : 'You can use REPEATABLE READ instead.',
  });
}
