// The storage transaction path of pgbench's TPC-B transaction, without SQL: through the storage API
// only (as engine/dml.ts drives it), `clients` transactions run at once, interleaved statement by
// statement, each statement first moving onto the latest commit (READ COMMITTED's refresh), and
// commit in group commits. Per transaction: an account's row is found by key, deleted and appended
// with its new balance, then read back as the transaction sees it (the SELECT: the own row group's
// columns and the old row's deletion bitmap); the same for a teller and a branch (without the read);
// a history row is appended. Reports the process's CPU time per committed transaction (serialization
// failures are retried and counted), best of several rounds, each on a fresh store.
//
//   node dist/bench/pgbench/storage-path.js [--accounts 1000000] [--transactions 4000] [--clients 16] [--rounds 3] [--dir /tmp/x] [--warmup 0]
// --warmup N: the CPU clock starts once N transactions committed (one-time costs of the first ones,
// such as building a unique-key index on first use, left out; the rest are counted).
// Without --dir the store is in memory; with it, LMDB without fsync (synchronous commit off).
import * as fs from 'fs';
import { BufferPool, makePolicy } from '../../src/buffer/buffer-pool';
import { openStorage, ROW_GROUP_ROWS, Storage, TableDef, WriteTxn } from '../../src/storage';
import { Types } from '../../src/types/data-type';
import { Vector } from '../../src/types/vector';
import { getScalar, vectorFromScalars } from '../../src/types/vector-ops';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
function textOption(name: string): string | null {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : null;
}

const int4 = (name: string) => ({ name, type: Types.int4, notNull: true, defaultSql: null });
const filler = { name: 'filler', type: Types.bpchar, notNull: false, defaultSql: null };

async function fresh(dir: string | null, accounts: number): Promise<{ s: Storage; acc: TableDef; tel: TableDef; br: TableDef; hist: TableDef; branches: number }> {
  if (dir !== null) fs.rmSync(dir, { recursive: true, force: true });
  const s = await openStorage({ dir, synchronousCommit: false, cache: new BufferPool<Vector>(makePolicy('lirs', 1 << 28)) });
  const branches = Math.max(1, Math.round(accounts / 100000));
  const t = s.begin();
  const table = (name: string, cols: string[], key: boolean) =>
    t.createTable({ schema: 'public', name, columns: [...cols.map(int4), filler], primaryKey: key ? [0] : null, primaryKeyName: key ? `${name}_pkey` : undefined } as Omit<TableDef, 'id'>);
  const br = table('pgbench_branches', ['bid', 'bbalance'], true);
  const tel = table('pgbench_tellers', ['tid', 'bid', 'tbalance'], true);
  const acc = table('pgbench_accounts', ['aid', 'bid', 'abalance'], true);
  const hist = table('pgbench_history', ['tid', 'bid', 'aid', 'delta'], false);
  const seq = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  const pad = (n: number) => vectorFromScalars(Types.bpchar, new Array(n).fill(''));
  t.append(br.id, [vectorFromScalars(Types.int4, seq(branches)), vectorFromScalars(Types.int4, new Array(branches).fill(0)), pad(branches)]);
  t.append(tel.id, [vectorFromScalars(Types.int4, seq(branches * 10)), vectorFromScalars(Types.int4, seq(branches * 10).map((i) => Math.ceil(i / 10))), vectorFromScalars(Types.int4, new Array(branches * 10).fill(0)), pad(branches * 10)]);
  for (let from = 0; from < accounts; from += ROW_GROUP_ROWS) {
    const n = Math.min(ROW_GROUP_ROWS, accounts - from);
    const ids = Array.from({ length: n }, (_, i) => from + i + 1);
    t.append(acc.id, [vectorFromScalars(Types.int4, ids), vectorFromScalars(Types.int4, ids.map((i) => Math.ceil(i / 100000))), vectorFromScalars(Types.int4, new Array(n).fill(0)), pad(n)]);
  }
  await t.commit();
  return { s, acc, tel, br, hist, branches };
}

/** UPDATE t SET <balance> = <balance> + delta WHERE <key> = id: the row found by key, deleted, appended changed. */
function update(t: WriteTxn, def: TableDef, id: number, balance: number, delta: number): [number, number] {
  const rowId = t.findKey(def.id, `${def.name}_pkey`, [vectorFromScalars(Types.int4, [id])], 0);
  if (rowId < 0) throw new Error(`${def.name} ${id} not found`);
  if (t.rowsNow(def.id, [rowId])?.[0] !== rowId) throw Object.assign(new Error('changed'), { code: '40001' });
  const row = t.readRow(def.id, rowId);
  row[balance] = vectorFromScalars(Types.int4, [(getScalar(row[balance], 0) as number) + delta]);
  t.delete(def.id, [rowId]);
  return [rowId, t.append(def.id, row)];
}

async function main(): Promise<void> {
  const accounts = option('accounts', 1000000);
  const transactions = option('transactions', 4000);
  const clients = option('clients', 16);
  const rounds = option('rounds', 3);
  const dir = textOption('dir');
  const warmup = option('warmup', 0);
  let best = Infinity;
  for (let round = 0; round < rounds; round++) {
    const { s, acc, tel, br, hist, branches } = await fresh(dir, accounts);
    const random = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
    let started = 0;
    let committed = 0;
    let retried = 0;
    const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
    // Row locks, as the engine's: a second updater of a row waits for the first to finish, then reads it again.
    const locks = new Map<string, Promise<void>>();
    const lock = async (key: string, held: (() => void)[]) => {
      while (locks.has(key)) await locks.get(key);
      let release!: () => void;
      locks.set(key, new Promise<void>((resolve) => (release = resolve)));
      held.push(() => {
        locks.delete(key);
        release();
      });
    };
    const client = async () => {
      while (started < transactions) {
        started++;
        const aid = random(1, accounts);
        const tid = random(1, branches * 10);
        const bid = random(1, branches);
        const delta = random(-5000, 5000);
        for (;;) {
          const t = s.begin();
          const held: (() => void)[] = [];
          try {
            const statement = async (lockKey?: string) => {
              await tick();
              if (lockKey !== undefined) await lock(lockKey, held);
              t.refresh();
            };
            await statement(`a${aid}`);
            const [oldRow] = update(t, acc, aid, 2, delta);
            await statement();
            // SELECT abalance FROM pgbench_accounts WHERE aid = :aid, as the transaction sees it.
            // (The own row's RowId moves when the statement's refresh replays the transaction onto a later commit.)
            const newRow = t.findKey(acc.id, `${acc.name}_pkey`, [vectorFromScalars(Types.int4, [aid])], 0);
            const snap = t.table(acc.id);
            const g = Math.floor(newRow / ROW_GROUP_ROWS);
            const at = newRow - g * ROW_GROUP_ROWS;
            const old = Math.floor(oldRow / ROW_GROUP_ROWS);
            if (getScalar(snap.readColumn(g, 0), at) !== aid || typeof getScalar(snap.readColumn(g, 2), at) !== 'number') throw new Error('own row not read back');
            // One row's deletion, as an index lookup checks it (not the group's whole bitmap).
            if (!(snap.rowDeleted?.(oldRow) ?? snap.deleted(old)?.[oldRow - old * ROW_GROUP_ROWS] === 1)) throw new Error('old row version not deleted');
            await statement(`t${tid}`);
            update(t, tel, tid, 2, delta);
            await statement(`b${bid}`);
            update(t, br, bid, 1, delta);
            await statement();
            t.append(hist.id, [tid, bid, aid, delta].map((v) => vectorFromScalars(Types.int4, [v])).concat([vectorFromScalars(Types.bpchar, [''])]));
            await tick();
            await t.commit();
            for (const release of held) release();
            committed++;
            if (committed === warmup) cpu0 = process.cpuUsage();
            break;
          } catch (err) {
            t.abort();
            for (const release of held) release();
            if ((err as { code?: string }).code !== '40001' && !/could not serialize|changed/.test(String((err as Error).message))) throw err;
            retried++;
          }
        }
      }
    };
    let cpu0 = process.cpuUsage();
    await Promise.all(Array.from({ length: clients }, client));
    const cpu = process.cpuUsage(cpu0);
    const us = (cpu.user + cpu.system) / (committed > warmup ? committed - warmup : committed);
    await s.close();
    console.log(`round ${round + 1}: ${us.toFixed(0).padStart(5)} µs CPU/txn over ${committed} transactions (${retried} retried${warmup > 0 ? `, the first ${warmup} not counted` : ''})`);
    best = Math.min(best, us);
  }
  console.log(`best: ${best.toFixed(0)} µs CPU/txn (${accounts} accounts, ${clients} clients, ${dir === null ? 'in memory' : 'LMDB, no fsync'})`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
