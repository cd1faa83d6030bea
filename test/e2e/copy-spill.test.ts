// A transaction's full row groups leave memory before it commits (src/storage/spilled-groups.ts):
// big COPYs against the real server, checked for what the client sees (counts and sums as PostgreSQL
// gives them for the same rows: they follow from the generated data) and for what is left on disk
// (the data directory is opened with lmdb after the server stopped: spilled chunks are named by the
// catalog after a commit, gone after a rollback, and gone after a crash once the server restarted).
import { expect } from 'chai';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { open } from 'lmdb';
import { TestServer, runPsql, skipWithoutPsql, startTestServer } from '../helpers/test-server';
import { connectPg } from '../helpers/pg-client';

/** Three full row groups and a partial fourth. */
const ROWS = 3 * 65536 + 1000;

/** Rows "i|w<i % 97>|i*3" for i in [from, to). */
function rows(from: number, to: number): string {
  const out: string[] = [];
  for (let i = from; i < to; i++) out.push(`${i}|w${i % 97}|${i * 3}\n`);
  return out.join('');
}

/** n(n-1)/2: the sum of 0..n-1. */
function sumTo(n: number): number {
  return (n * (n - 1)) / 2;
}

/** Keys of spilled chunks in a stopped server's data directory, and the spilled groups its catalog names. */
async function spillKeys(dir: string): Promise<{ keys: number; named: number }> {
  const db = open<Buffer, string>({ path: dir, encoding: 'binary', compression: false });
  try {
    const keys = [...db.getKeys({ start: 'sp/' })].filter((k) => typeof k === 'string' && k.startsWith('sp/')).length;
    // Each table's row entry ('catalog/r/<table>', see storage/catalog-keys.ts) names its spilled groups.
    const rowKeys = [...db.getKeys({ start: 'catalog/r/' })].filter((k) => typeof k === 'string' && k.startsWith('catalog/r/')) as string[];
    let named = 0;
    for (const k of rowKeys) for (const s of (JSON.parse(db.getBinary(k)!.toString()) as { spill?: (string | null)[] }).spill ?? []) if (s !== null) named++;
    return { keys, named };
  } finally {
    await db.close();
  }
}

async function psqlOk(port: number, script: string): Promise<string> {
  const r = await runPsql(port, script, ['-t', '-q', '-v', 'ON_ERROR_STOP=1']);
  if (r.code !== 0) throw new Error(`psql failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim();
}

describe('COPY spills full row groups before commit', function () {
  this.timeout(120000);
  let dir: string;
  let server: TestServer;

  before(async function () {
    skipWithoutPsql(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-spill-'));
    server = await startTestServer({ dataDir: dir });
  });
  after(async () => {
    await server?.stop();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('commits a big COPY by naming its spilled groups; they are read after a restart', async () => {
    await psqlOk(server.port, 'create table big (a int, b text, c bigint)');
    const out = await psqlOk(server.port, `copy big from stdin with (delimiter '|');\n${rows(0, ROWS)}\\.\nselect count(*), sum(a), sum(c), count(distinct b) from big;`);
    expect(out.split('\n').pop()).to.equal(`${ROWS}|${sumTo(ROWS)}|${3 * sumTo(ROWS)}|97`);
    await server.restart();
    await server.stop().catch(() => undefined);
    // Three full groups of 3 columns spilled, the partial fourth written at commit.
    expect(await spillKeys(dir)).to.deep.equal({ keys: 9, named: 3 });
    await server.restart();
    // i % 1000 = 7 for i = 7, 1007, …, 197007: 198 rows.
    expect(await psqlOk(server.port, 'select count(*), sum(a), max(c) from big where a % 1000 = 7; select sum(a), sum(c) from big')).to.equal(`198|${198 * 7 + 1000 * sumTo(198)}|${3 * 197007}\n${sumTo(ROWS)}|${3 * sumTo(ROWS)}`);
  });

  it('reads, updates and deletes its own spilled rows inside the transaction; ROLLBACK drops them and their chunks', async () => {
    await psqlOk(server.port, 'create table own (a int, b text, c bigint)');
    const out = await psqlOk(
      server.port,
      [
        'begin;',
        `copy own from stdin with (delimiter '|');\n${rows(0, ROWS)}\\.`,
        'select count(*), sum(a) from own;',
        // Rows in the first (spilled) group and in the partial last one.
        'update own set c = -1 where a in (5, 70000, 196700);',
        'delete from own where a between 10 and 19;',
        'select count(*), sum(c) filter (where c < 0), min(a) filter (where a >= 10) from own;',
        'select a, b, c from own where a in (4, 5, 10, 70000) order by a;',
        'rollback;',
        'select count(*) from own;',
      ].join('\n'),
    );
    expect(out.split('\n').filter((l) => l !== '')).to.deep.equal([`${ROWS}|${sumTo(ROWS)}`, `${ROWS - 10}|-3|20`, '4|w4|12', '5|w5|-1', '70000|w63|-1', '0']);
    await server.stop().catch(() => undefined);
    expect(await spillKeys(dir)).to.deep.equal({ keys: 9, named: 3 });
    await server.restart();
  });

  it('ROLLBACK TO SAVEPOINT after a big COPY keeps the rows before it; COMMIT keeps only those', async () => {
    await psqlOk(server.port, 'create table sp (a int, b text, c bigint)');
    const out = await psqlOk(
      server.port,
      ['begin;', "insert into sp values (1, 'x', 2), (2, 'y', 4);", 'savepoint s;', `copy sp from stdin with (delimiter '|');\n${rows(0, ROWS)}\\.`, 'select count(*) from sp;', 'rollback to savepoint s;', 'select count(*), sum(c) from sp;', 'commit;', 'select count(*), sum(c) from sp;'].join('\n'),
    );
    expect(out.split('\n').filter((l) => l !== '')).to.deep.equal([`${ROWS + 2}`, '2|6', '2|6']);
    await server.stop().catch(() => undefined);
    // The savepoint's spilled groups were deleted with the commit.
    expect(await spillKeys(dir)).to.deep.equal({ keys: 9, named: 3 });
    await server.restart();
  });

  it('fails a big COPY with 23505 on a key duplicated across spilled groups and keeps none of it', async () => {
    await psqlOk(server.port, 'create table keyed (a int primary key, b text, c bigint)');
    // Row 10 again after three full groups (its group is spilled by then or being spilled).
    const data = rows(0, ROWS) + '10|dup|0\n';
    const r = await runPsql(server.port, `copy keyed from stdin with (delimiter '|');\n${data}\\.\nselect count(*) from keyed;`, ['-t', '-q']);
    expect(r.stderr).to.match(/duplicate key value violates unique constraint "keyed_pkey"/);
    expect(r.stderr).to.include('Key (a)=(10) already exists.');
    expect(r.stdout.trim()).to.equal('0');
    // A clean big load of the same table works, and keys are checked against its committed rows.
    expect(await psqlOk(server.port, `copy keyed from stdin with (delimiter '|');\n${rows(0, ROWS)}\\.\nselect count(*) from keyed;`)).to.equal(`${ROWS}`);
    const dup = await runPsql(server.port, "insert into keyed values (65537, 'again', 0)", ['-t']);
    expect(dup.stderr).to.include('Key (a)=(65537) already exists.');
  });

  it('keeps a big INSERT … SELECT whose rows were spilled when another commit to the table moves it onto new row groups', async () => {
    await psqlOk(server.port, 'create table moved (a int, b text, c bigint)');
    const big = await connectPg(server.port);
    const other = await connectPg(server.port);
    try {
      await big.query('begin');
      await big.query("insert into moved select g, 'w' || (g % 97), g * 3 from generate_series(0, 139999) as s(g)");
      // Another transaction commits a row to the same table: the big one's rows are replayed after it.
      await other.query("insert into moved values (-1, 'other', 0)");
      expect((await big.query('select count(*)::int as n, sum(a)::text as s from moved')).rows[0]).to.deep.equal({ n: 140001, s: String(sumTo(140000) - 1) });
      await big.query('commit');
      expect((await other.query('select count(*)::int as n, sum(c)::text as s, count(distinct b)::int as d from moved')).rows[0]).to.deep.equal({ n: 140001, s: String(3 * sumTo(140000)), d: 98 });
    } finally {
      await big.end();
      await other.end();
    }
    await server.stop().catch(() => undefined);
    // Every spilled chunk left is one a committed group names (3 columns each): the replaced ones were deleted.
    const left = await spillKeys(dir);
    expect(left.keys).to.equal(3 * left.named);
    await server.restart();
    expect(await psqlOk(server.port, 'select count(*), sum(a) from moved')).to.equal(`140001|${sumTo(140000) - 1}`);
  });

  it('leaves no rows and no spilled chunks after a kill during a big COPY (cleaned up on restart)', async () => {
    await psqlOk(server.port, 'create table crash (a int, b text, c bigint)');
    const before = Number(await psqlOk(server.port, 'select count(*) from big'));
    // A COPY that never ends: rows are streamed until enough groups must have been spilled, then the server is killed.
    const p = spawn('psql', ['-X', '-h', '127.0.0.1', '-p', String(server.port), '-U', 'postgres', '-d', 'postgres', '-c', "\\copy crash from pstdin with (delimiter '|')"], { stdio: ['pipe', 'ignore', 'ignore'] });
    p.stdin.on('error', () => undefined);
    const exited = new Promise<void>((resolve) => p.on('close', () => resolve()));
    const step = 16384;
    for (let i = 0; i < 6 * 65536; i += step) {
      if (!p.stdin.write(rows(i, i + step))) await new Promise<void>((resolve) => p.stdin.once('drain', resolve));
    }
    // Give the server time to take in what was sent (it pauses the socket while groups are written out).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await server.kill9();
    p.kill('SIGKILL');
    await exited;
    const left = await spillKeys(dir);
    const namedBefore = left.named;
    expect(left.keys - 3 * left.named, 'spilled chunks of the unfinished COPY on disk').to.be.greaterThan(0);
    await server.restart();
    expect(await psqlOk(server.port, 'select count(*) from crash')).to.equal('0');
    expect(await psqlOk(server.port, 'select count(*) from big')).to.equal(String(before));
    await server.stop().catch(() => undefined);
    // Only the committed tables' groups are left (three columns each), as before the COPY.
    const after = await spillKeys(dir);
    expect(after.keys).to.equal(3 * after.named);
    expect(after.named).to.equal(namedBefore);
    await server.restart();
  });
});
