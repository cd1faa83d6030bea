// Configuration (src/config; tested here next to the server that consumes it): conf-file syntax,
// units and booleans, defaults, command-line overrides, and errors that name the file and line.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseCommandLine } from '../../../src/config/command-line';
import { ConfigError, parseConfText } from '../../../src/config/conf-file';
import { loadConfig } from '../../../src/config/server-config';
import { parseBool, parseMemory, parseTime } from '../../../src/config/settings';
import { parseOptions } from '../../../src/wire/startup';

describe('config: conf file syntax', () => {
  it('reads name = value lines with comments, optional =, quoting and escapes', () => {
    const text = [
      '# a comment',
      '',
      "listen_addresses = '127.0.0.1'   # trailing comment",
      'port 5433',
      "DateStyle = 'ISO, MDY'",
      "user.alice = 'it''s a \\'secret\\' # not a comment'",
      '  buffer_pool_size=1GB\r',
      "x = 'tab\\there'",
    ].join('\n');
    const entries = parseConfText(text, 'test.conf');
    expect(entries.map((e) => [e.name, e.value, e.line])).to.deep.equal([
      ['listen_addresses', '127.0.0.1', 3],
      ['port', '5433', 4],
      ['DateStyle', 'ISO, MDY', 5],
      ['user.alice', "it's a 'secret' # not a comment", 6],
      ['buffer_pool_size', '1GB', 7],
      ['x', 'tab\there', 8],
    ]);
  });

  it('reports syntax errors with file and line', () => {
    expect(() => parseConfText('port = 5432\nDateStyle = ISO, MDY\n', 'my.conf')).to.throw(ConfigError, 'syntax error in file "my.conf" line 2, near token "MDY"');
    expect(() => parseConfText("a = 'open", 'my.conf')).to.throw(ConfigError, 'unterminated quoted string in file "my.conf" line 1');
    expect(() => parseConfText('= 3', 'my.conf')).to.throw(ConfigError, /line 1/);
    expect(() => parseConfText('port =', 'my.conf')).to.throw(ConfigError, /line 1, near end of line/);
  });

  it('follows include and include_if_exists relative to the including file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-conf-'));
    try {
      fs.writeFileSync(path.join(dir, 'extra.conf'), 'port = 6000\n');
      fs.writeFileSync(path.join(dir, 'main.conf'), "include 'extra.conf'\ninclude_if_exists 'missing.conf'\nmax_connections = 7\n");
      const c = loadConfig({ configFile: path.join(dir, 'main.conf') });
      expect([c.port, c.maxConnections]).to.deep.equal([6000, 7]);
      expect(c.sources.get('port')).to.equal(`in file "${path.join(dir, 'extra.conf')}" line 1`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('config: values', () => {
  it('parses memory sizes with units into bytes', () => {
    expect(parseMemory('256MB')).to.equal(256 * 1024 * 1024);
    expect(parseMemory('1GB')).to.equal(1024 ** 3);
    expect(parseMemory('8kB')).to.equal(8192);
    expect(parseMemory('1.5 MB')).to.equal(1.5 * 1024 * 1024);
    expect(parseMemory('4096')).to.equal(4096);
    expect(parseMemory('64', 1024)).to.equal(65536);
    expect(parseMemory('12 parsecs')).to.equal(null);
    expect(parseMemory('-1MB')).to.equal(null);
  });

  it('parses times and booleans as PostgreSQL does', () => {
    expect(parseTime('5s')).to.equal(5000);
    expect(parseTime('1min')).to.equal(60000);
    expect(parseTime('250')).to.equal(250);
    expect(parseTime('2', 1000)).to.equal(2000);
    expect(parseTime('soon')).to.equal(null);
    for (const t of ['on', 'ON', 'true', 'yes', '1', 't', 'tru', 'y']) expect(parseBool(t), t).to.equal(true);
    for (const f of ['off', 'Off', 'false', 'no', '0', 'f', 'n', 'of']) expect(parseBool(f), f).to.equal(false);
    for (const bad of ['o', 'maybe', '']) expect(parseBool(bad), bad).to.equal(null);
  });
});

describe('config: loadConfig', () => {
  let dir: string;
  const conf = (text: string) => {
    const file = path.join(dir, 'tessera.conf');
    fs.writeFileSync(file, text);
    return file;
  };
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-conf-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('has defaults for everything', () => {
    const c = loadConfig({ configFile: null, baseDirectory: '/srv' });
    expect(c).to.deep.include({ port: 5432, listenAddresses: ['127.0.0.1'], dataDirectory: '/srv/data', bufferPoolSize: 256 * 1024 * 1024, synchronousCommit: true, authMethod: 'trust', maxConnections: 100, timeZone: 'UTC', dateStyle: 'ISO, MDY', authenticationTimeoutMs: 60000 });
    expect(c.users.size).to.equal(0);
    expect(c.raw.get('buffer_pool_size')).to.equal('256MB');
    expect(c.raw.get('TimeZone')).to.equal('UTC');
  });

  it('reads the shipped conf/tessera.conf', () => {
    const shipped = path.resolve(__dirname, '../../../../conf/tessera.conf');
    const c = loadConfig({ configFile: shipped });
    expect(c.port).to.equal(5432);
    expect(c.users.get('postgres')).to.equal('postgres');
  });

  it('types and normalizes settings, case-insensitively, and keeps users apart from raw settings', () => {
    const file = conf(
      [
        "LISTEN_ADDRESSES = '127.0.0.1, ::1'",
        'Port = 6543',
        "data_directory = '/var/lib/tessera'",
        'buffer_pool_size = 1GB',
        'synchronous_commit = off',
        "auth_method = 'SCRAM-SHA-256'",
        "user.alice = 's3cret'",
        'max_connections = 20',
        "timezone = 'Europe/Paris'",
        'statement_timeout = 5s',
      ].join('\n'),
    );
    const c = loadConfig({ configFile: file });
    expect(c).to.deep.include({ port: 6543, listenAddresses: ['127.0.0.1', '::1'], dataDirectory: '/var/lib/tessera', bufferPoolSize: 1024 ** 3, synchronousCommit: false, authMethod: 'scram-sha-256', maxConnections: 20, timeZone: 'Europe/Paris' });
    expect([...c.users]).to.deep.equal([['alice', 's3cret']]);
    expect(c.raw.get('synchronous_commit')).to.equal('off');
    expect(c.raw.get('statement_timeout')).to.equal('5000');
    expect(c.raw.get('TimeZone')).to.equal('Europe/Paris');
    expect([...c.raw.keys()].some((k) => k.startsWith('user.'))).to.equal(false);
  });

  it("keeps data_directory = ':memory:' (no files) instead of resolving it as a path", () => {
    expect(loadConfig({ configFile: conf("data_directory = ':memory:'") }).dataDirectory).to.equal(':memory:');
    expect(loadConfig({ configFile: conf("data_directory = 'memory'"), baseDirectory: '/srv' }).dataDirectory).to.equal('/srv/memory');
  });

  it('reads unix_socket_directories as PostgreSQL: /tmp by default, a comma list, empty for none', () => {
    expect(loadConfig({ configFile: null }).unixSocketDirectories).to.deep.equal(['/tmp']);
    const file = conf("unix_socket_directories = '/var/run/tessera, /tmp/x '");
    expect(loadConfig({ configFile: file }).unixSocketDirectories).to.deep.equal(['/var/run/tessera', '/tmp/x']);
    const none = loadConfig({ configFile: file, overrides: new Map([['unix_socket_directories', '']]) });
    expect(none.unixSocketDirectories).to.deep.equal([]);
  });

  it('lets command-line settings override the file', () => {
    const file = conf('port = 6543\nbuffer_pool_size = 1GB\n');
    const cli = parseCommandLine(['--port', '7000', '-D', 'mydata', '-c', 'buffer_pool_size=64MB', '--max-connections=5', '-cuser.bob=pw', '--config', file]);
    expect(cli.configFile).to.equal(file);
    const c = loadConfig({ configFile: cli.configFile, overrides: cli.overrides, baseDirectory: '/base' });
    expect(c).to.deep.include({ port: 7000, dataDirectory: '/base/mydata', bufferPoolSize: 64 * 1024 * 1024, maxConnections: 5 });
    expect(c.users.get('bob')).to.equal('pw');
    expect(c.sources.get('port')).to.equal('on the command line');
  });

  it('names the file and line of an unknown setting or a bad value', () => {
    const file = conf('port = 5432\n\nshared_buffers = 128MB\n');
    expect(() => loadConfig({ configFile: file })).to.throw(ConfigError, `unrecognized configuration parameter "shared_buffers" in file "${file}" line 3`);
    const bad = conf('buffer_pool_size = 12 parsecs\n');
    expect(() => loadConfig({ configFile: bad })).to.throw(ConfigError, /syntax error in file .* line 1/);
    for (const [line, message] of [
      ['buffer_pool_size = 12parsecs', /invalid value for parameter "buffer_pool_size": "12parsecs".* line 1/],
      ['synchronous_commit = perhaps', /invalid value for parameter "synchronous_commit".* line 1/],
      ['port = 70000', /70000 is outside the valid range for parameter "port" \(0 \.\. 65535\).* line 1/],
      ["auth_method = 'md5'", /invalid value for parameter "auth_method": "md5" \(available values: trust, scram-sha-256\)/],
    ] as [string, RegExp][]) {
      expect(() => loadConfig({ configFile: conf(line) }), line).to.throw(ConfigError, message);
    }
    expect(() => loadConfig({ configFile: null, overrides: new Map([['no_such', '1']]) })).to.throw(ConfigError, 'unrecognized configuration parameter "no_such" on the command line');
    expect(() => loadConfig({ configFile: path.join(dir, 'absent.conf') })).to.throw(ConfigError, /could not open configuration file/);
  });

  it('rejects bad command-line usage with a readable message', () => {
    expect(() => parseCommandLine(['--port'])).to.throw('option --port requires a value');
    expect(() => parseCommandLine(['--frobnicate'])).to.throw(/unknown option "--frobnicate"/);
    expect(() => parseCommandLine(['-c', 'novalue'])).to.throw(/expected name=value/);
    expect(parseCommandLine(['-h']).help).to.equal(true);
  });
});

describe('wire: startup options parameter', () => {
  it('splits PGOPTIONS-style settings with backslash-escaped spaces', () => {
    expect(parseOptions('-c a=1   -cb=2 --c-d=x\\ y')).to.deep.equal({ a: '1', b: '2', c_d: 'x y' });
    expect(parseOptions('')).to.deep.equal({});
    expect(() => parseOptions('-B 100')).to.throw(/invalid command-line argument for server process: -B/);
  });
});
