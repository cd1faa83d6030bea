// Which statements a follower may answer from its standby (src/cluster/statement-kind.ts), decided on
// the parser's tree: the cases a text match would get wrong (a write in a CTE, a lock in a subquery,
// SELECT INTO, EXPLAIN of a write, functions that write or read the leader session's state).
import { expect } from 'chai';
import { classifyQuery } from '../../../src/cluster/statement-kind';
import { classify } from '../../../src/cluster/unit-side';
import { loadParser } from '../../../src/sql/parse';

describe('cluster statement kinds (what a follower may answer itself)', () => {
  before(() => loadParser());

  const readOnly = (sql: string) => classifyQuery(sql).readOnly;

  it('lets plain reads, SHOW and EXPLAIN of reads run on the standby', () => {
    for (const sql of [
      'SELECT * FROM t WHERE a > 1',
      'TABLE t',
      'VALUES (1), (2)',
      'SHOW TimeZone',
      'EXPLAIN ANALYZE SELECT count(*) FROM t',
      'WITH x AS (SELECT 1) SELECT * FROM x; SELECT 2',
      "SELECT now(), current_setting('TimeZone'), pg_sleep(0)",
      'SELECT * FROM tessera_route_stats()',
      'SELECT * FROM tessera_fragment_stats()',
      '',
    ])
      expect(readOnly(sql), sql).to.equal(true);
  });

  it('sends writes, locks and leader-session functions to the leader', () => {
    for (const sql of [
      'INSERT INTO t VALUES (1)',
      'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d',
      'SELECT * FROM (SELECT * FROM t FOR SHARE) s',
      'SELECT * FROM t FOR UPDATE SKIP LOCKED',
      'SELECT 1 INTO t2',
      'EXPLAIN ANALYZE INSERT INTO t VALUES (1)',
      'EXPLAIN CREATE TABLE t3 AS SELECT 1',
      "SELECT nextval('s')",
      "SELECT x FROM t WHERE x = currval('s')",
      'SELECT lastval()',
      'SELECT pg_advisory_lock(1)',
      'SELECT pg_try_advisory_xact_lock(1)',
      'SELECT pg_backend_pid()',
      'SELECT txid_current()',
      'SELECT * FROM tessera_cluster_nodes()',
      'SELECT * FROM tessera_interconnect_stats()',
      'SELECT pid FROM pg_catalog.pg_stat_activity',
      'SHOW default_transaction_read_only',
      'SHOW transaction_isolation',
      'SHOW ALL',
      'SELECT 1; DELETE FROM t',
      'BEGIN',
      'COPY t TO STDOUT',
      'CREATE TABLE t4 (a int)',
      'SELEC 1',
    ])
      expect(readOnly(sql), sql).to.equal(false);
  });

  it('names the settings to replay on the standby, not SET LOCAL nor read-only mode', () => {
    expect(classifyQuery("SET TimeZone = 'UTC'; SET LOCAL search_path = x").mirror).to.deep.equal(["SET TimeZone = 'UTC'"]);
    expect(classifyQuery('SET default_transaction_read_only = off').mirror).to.deep.equal([]);
    expect(classifyQuery('SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE').mirror).to.deep.equal([]);
    expect(classifyQuery("SELECT set_config('search_path', 'x', false)").mirror).to.deep.equal(["SELECT set_config('search_path', 'x', false)"]);
    expect(classifyQuery('RESET extra_float_digits').mirror).to.deep.equal(['RESET extra_float_digits']);
    const k = classifyQuery('DEALLOCATE p1; DISCARD ALL');
    expect([k.dropsPrepared, k.dropsAllPrepared, k.mirror]).to.deep.equal([['p1'], true, ['DEALLOCATE p1', 'DISCARD ALL']]);
    expect(classifyQuery('CREATE TEMP TABLE tt (a int)').createsTemp).to.equal(true);
    expect(classifyQuery('CREATE TABLE tt (a int)').createsTemp).to.equal(false);
  });

  it('parses a statement that differs from an earlier one only in numeric literals once, but keeps each text to mirror', () => {
    const first = classify('SELECT abalance FROM pgbench_accounts WHERE aid = 17');
    expect(classify('SELECT abalance FROM pgbench_accounts WHERE aid = 92')).to.equal(first);
    expect(classify("SELECT abalance FROM pgbench_accounts WHERE aid = '92'")).to.not.equal(first);
    expect(classify('UPDATE t SET a = 5 WHERE b = 1').readOnly).to.equal(false);
    expect(classify('SET extra_float_digits = 0').mirror).to.deep.equal(['SET extra_float_digits = 0']);
    expect(classify('SET extra_float_digits = 3').mirror).to.deep.equal(['SET extra_float_digits = 3']);
    expect(classify("SELECT set_config('extra_float_digits', '1', false), 1").mirror).to.deep.equal(["SELECT set_config('extra_float_digits', '1', false), 1"]);
    expect(classify("SELECT set_config('extra_float_digits', '1', false), 2").mirror).to.deep.equal(["SELECT set_config('extra_float_digits', '1', false), 2"]);
  });
});
