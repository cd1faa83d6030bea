// Session information functions, SET/SHOW/RESET, and ParameterStatus when a reported setting changes.
import { expect } from 'chai';
import { Client } from 'pg';
import { RawClient, serialize } from '../helpers/raw-client';
import { TestServer, startTestServer } from '../helpers/test-server';

describe('session information and settings', function () {
  this.timeout(60000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.stop());

  it('answers the functions drivers and tools call', async () => {
    const c = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' });
    await c.connect();
    const r = await c.query(
      "select version() as v, current_database() as db, current_user as u, session_user as su, current_schema() as s, current_setting('DateStyle') as ds, pg_backend_pid() as pid",
    );
    const row = r.rows[0];
    expect(row.v).to.match(/^PostgreSQL 15\.\d+ \(Tessera /);
    expect([row.db, row.u, row.su, row.s, row.ds]).to.deep.equal(['postgres', 'postgres', 'postgres', 'public', 'ISO, MDY']);
    expect(row.pid).to.equal((c as unknown as { processID: number }).processID);
    let code = '';
    try {
      await c.query("select current_setting('no_such_setting')");
    } catch (err) {
      code = (err as { code: string }).code;
    }
    expect(code).to.equal('42704');
    await c.end();
  });

  it('SET changes a setting, SHOW names it as PostgreSQL does, RESET restores it', async () => {
    const c = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres' });
    await c.connect();
    await c.query("set timezone = 'America/New_York'");
    const shown = await c.query('show timezone');
    expect(shown.fields[0].name).to.equal('TimeZone');
    expect(shown.rows).to.deep.equal([{ TimeZone: 'America/New_York' }]);
    const ts = await c.query("select '2024-07-01 12:00:00+00'::timestamptz::text as t");
    expect(ts.rows[0].t).to.equal('2024-07-01 08:00:00-04');
    await c.query('reset timezone');
    expect((await c.query('show timezone')).rows[0].TimeZone).to.equal('UTC');
    await c.end();
  });

  it('sends ParameterStatus when SET changes a reported setting', async () => {
    const c = await RawClient.connect(server.port);
    c.send(serialize.query("set application_name = 'reporter'"));
    const msgs = await c.until('readyForQuery');
    const status = msgs.find((m) => m.name === 'parameterStatus');
    expect(status?.parameterName).to.equal('application_name');
    expect(status?.parameterValue).to.equal('reporter');
    c.close();
  });

  it('SET LOCAL and set_config(…, true) last until the end of the transaction, as in PostgreSQL', async () => {
    const c = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres' });
    await c.connect();
    const show = async () => (await c.query('show work_mem')).rows[0].work_mem as string;
    const warnings: string[] = [];
    c.on('notice', (n) => warnings.push(`${n.severity} ${n.code} ${n.message}`));
    // The session's value (Tessera's default work_mem is larger than PostgreSQL's 4MB: see README).
    const base = await show();
    expect(base).to.equal('256MB');
    // Outside a transaction block SET LOCAL warns and does nothing.
    await c.query("set local work_mem = '8MB'");
    expect(warnings).to.deep.equal(['WARNING 25P01 SET LOCAL can only be used in transaction blocks']);
    expect(await show()).to.equal(base);
    // set_config(…, true) outside a block lasts for its own query string (the implicit transaction).
    expect((await c.query("select set_config('work_mem', '9MB', true) as v")).rows[0].v).to.equal('9MB');
    expect(await show()).to.equal(base);
    const both = (await c.query("select set_config('work_mem', '9MB', true); show work_mem")) as unknown as { rows: any[] }[];
    expect(both[1].rows[0].work_mem).to.equal('9MB');
    expect(await show()).to.equal(base);
    // In a block: visible until COMMIT, then the session value again.
    await c.query('begin');
    await c.query("set local work_mem = '10MB'");
    expect(await show()).to.equal('10MB');
    await c.query("select set_config('application_name', 'inside', true)");
    await c.query('commit');
    expect(await show()).to.equal(base);
    expect((await c.query('show application_name')).rows[0].application_name).to.equal('');
    // A plain SET in a block survives COMMIT over a later SET LOCAL, and is undone by ROLLBACK.
    await c.query('begin');
    await c.query("set work_mem = '11MB'");
    await c.query("set local work_mem = '12MB'");
    expect(await show()).to.equal('12MB');
    await c.query('commit');
    expect(await show()).to.equal('11MB');
    await c.query('begin');
    await c.query("set work_mem = '13MB'");
    await c.query('rollback');
    expect(await show()).to.equal('11MB');
    await c.end();
  });
});
