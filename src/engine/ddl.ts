// CREATE/DROP TABLE and VIEW, ALTER TABLE ADD PRIMARY KEY, ANALYZE, applied in the session's write transaction.
import { CatalogView } from '../storage/api';
import { SqlError, SqlState } from '../types/sql-error';
import { BoundStatement } from '../sql/bound-statement';
import { ExecuteResult } from './session-api';
import type { EngineSession } from './session';

function relationExists(catalog: CatalogView, schema: string, name: string): boolean {
  return catalog.findTable(schema, name) !== undefined || catalog.findView(schema, name) !== undefined;
}

export async function runDdl(session: EngineSession, bound: BoundStatement): Promise<ExecuteResult> {
  const txn = await session.writeTxn();
  const catalog = session.catalog();
  switch (bound.kind) {
    case 'createTable': {
      if (relationExists(catalog, bound.schema, bound.name)) {
        if (bound.ifNotExists) {
          session.notice(`relation "${bound.name}" already exists, skipping`, SqlState.duplicateTable);
          return { kind: 'command', command: 'CREATE TABLE' };
        }
        throw new SqlError(SqlState.duplicateTable, `relation "${bound.name}" already exists`);
      }
      txn.createTable({
        schema: bound.schema,
        name: bound.name,
        columns: bound.columns,
        primaryKey: bound.primaryKey,
        primaryKeyName: bound.primaryKey === null ? null : `${bound.name}_pkey`,
      });
      return { kind: 'command', command: 'CREATE TABLE' };
    }
    case 'drop': {
      const word = bound.objectType === 'table' ? 'table' : 'view';
      for (const { schema, name } of bound.names) {
        const table = catalog.findTable(schema, name);
        const view = catalog.findView(schema, name);
        if (bound.objectType === 'table' && table !== undefined) txn.dropTable(table.id);
        else if (bound.objectType === 'view' && view !== undefined) txn.dropView(view.id);
        else if (table !== undefined || view !== undefined)
          throw new SqlError(SqlState.wrongObjectType, `"${name}" is not a ${word}`, { hint: `Use DROP ${table !== undefined ? 'TABLE' : 'VIEW'} to remove a ${table !== undefined ? 'table' : 'view'}.` });
        else if (bound.ifExists) session.notice(`${word} "${name}" does not exist, skipping`);
        else throw new SqlError(SqlState.undefinedTable, `${word} "${name}" does not exist`);
      }
      return { kind: 'command', command: bound.objectType === 'table' ? 'DROP TABLE' : 'DROP VIEW' };
    }
    case 'createView': {
      const existing = catalog.findView(bound.schema, bound.name);
      if (existing !== undefined && bound.orReplace) txn.dropView(existing.id);
      else if (relationExists(catalog, bound.schema, bound.name)) throw new SqlError(SqlState.duplicateTable, `relation "${bound.name}" already exists`);
      txn.createView({ schema: bound.schema, name: bound.name, sql: bound.sql, columnNames: bound.columnNames });
      return { kind: 'command', command: 'CREATE VIEW' };
    }
    case 'truncate':
      for (const t of bound.tables) txn.truncate(t.id);
      return { kind: 'command', command: 'TRUNCATE TABLE' };
    case 'analyze':
      for (const t of bound.tables.length > 0 ? bound.tables : catalog.tables()) txn.analyze(t.id);
      return { kind: 'command', command: 'ANALYZE' };
    case 'addPrimaryKey':
      txn.setPrimaryKey(bound.table.id, bound.columns, bound.constraintName);
      return { kind: 'command', command: 'ALTER TABLE' };
    default:
      throw new Error(`runDdl: unexpected ${bound.kind}`);
  }
}
