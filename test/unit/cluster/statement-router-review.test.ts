// Statement router edge cases found in review: settings a transaction changed and then undid with
// ROLLBACK TO SAVEPOINT must not reach the standby's session (its later answers would differ from
// the leader's), and COPY data a client sends in the same packet as its COPY query must reach the
// leader instead of waiting behind it.
import { expect } from 'chai';
import { RawClient, serialize } from '../../helpers/raw-client';
import { RoutedFollower, STANDBY_ID, startRoutedFollower } from '../../helpers/routed-follower';

describe('cluster statement router (review cases)', function () {
  this.timeout(60000);
  let f: RoutedFollower;

  before(async () => {
    f = await startRoutedFollower({ trust: true });
  });
  after(async () => {
    await f?.stop();
  });

  it('a setting undone by ROLLBACK TO SAVEPOINT is not replayed on the standby at COMMIT', async () => {
    const c = await f.client();
    try {
      const show = async () => (await c.query("SELECT current_setting('cluster_node_id') AS node, current_setting('TimeZone') AS tz")).rows[0];
      const before = await show();
      expect(before.node).to.equal(STANDBY_ID);
      await c.query('BEGIN');
      await c.query("SET TimeZone = 'Asia/Tokyo'");
      await c.query('SAVEPOINT s');
      await c.query("SET TimeZone = 'America/Lima'");
      await c.query('ROLLBACK TO SAVEPOINT s');
      await c.query('COMMIT');
      // As in PostgreSQL: the setting made before the savepoint stays, the one after it is undone.
      expect(await show()).to.deep.equal({ node: STANDBY_ID, tz: 'Asia/Tokyo' });
      expect((await c.query("SELECT '2020-01-01 00:00:00+00'::timestamptz::text AS t")).rows).to.deep.equal([{ t: '2020-01-01 09:00:00+09' }]);
    } finally {
      await c.end();
    }
  });

  it('COPY data sent in the same packet as its COPY query goes to the leader', async () => {
    const c = await RawClient.connect(f.port);
    try {
      c.send(serialize.query('CREATE TABLE piped (n int)'));
      await c.until('readyForQuery');
      c.send(Buffer.concat([serialize.query('COPY piped FROM STDIN'), serialize.copyData(Buffer.from('1\n2\n3\n')), serialize.copyDone()]));
      const got = await c.until('readyForQuery', 5000);
      expect(got.filter((m) => m.name === 'commandComplete').map((m) => m.text)).to.deep.equal(['COPY 3']);
    } finally {
      c.socket.destroy();
    }
  });
});
