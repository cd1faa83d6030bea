// postgresql.conf-style configuration: `name = value` lines, '#' comments, quoted values with ''
// escapes; names are case-insensitive. Command-line options override the file.
import * as fs from 'fs';

/** Settings the server understands (anything else in a file is an error naming the line). */
export const KNOWN_SETTINGS = new Set([
  'listen_addresses',
  'port',
  'data_directory',
  'buffer_pool_size',
  'buffer_replacement',
  'synchronous_commit',
  'auth_method',
  'max_connections',
  'timezone',
  'datestyle',
  'extra_float_digits',
  'statement_timeout',
  'max_parallel_workers',
  'work_mem',
  'client_min_messages',
]);

export interface ServerConfig {
  listenAddresses: string;
  port: number;
  dataDirectory: string;
  authMethod: 'trust' | 'scram-sha-256';
  users: Map<string, string>;
  maxConnections: number;
  /** Every setting as text, handed to the database (buffer_pool_size, synchronous_commit, TimeZone…). */
  raw: Map<string, string>;
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.startsWith("'") && v.endsWith("'") && v.length >= 2) return v.slice(1, -1).replace(/''/g, "'").replace(/\\'/g, "'");
  return v;
}

/** Strips a '#' comment that is not inside quotes. */
function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "'") quoted = !quoted;
    else if (line[i] === '#' && !quoted) return line.slice(0, i);
  }
  return line;
}

export function parseConfText(text: string, file: string, into: Map<string, string>): void {
  text.split('\n').forEach((raw, i) => {
    const line = stripComment(raw).trim();
    if (line === '') return;
    const m = /^([A-Za-z_][A-Za-z0-9_.]*)\s*=?\s*(.*)$/.exec(line);
    if (m === null) throw new Error(`syntax error in file "${file}" line ${i + 1}, near "${line}"`);
    const name = m[1].toLowerCase();
    if (!KNOWN_SETTINGS.has(name) && !name.startsWith('user.'))
      throw new Error(`unrecognized configuration parameter "${m[1]}" in file "${file}" line ${i + 1}`);
    into.set(name, unquote(m[2]));
  });
}

export interface CommandLine {
  configFile: string | null;
  overrides: Map<string, string>;
}

/** `--port P --data DIR --config FILE -c name=value` (and -p, -D as postgres spells them). */
export function parseCommandLine(argv: string[]): CommandLine {
  const overrides = new Map<string, string>();
  let configFile: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`option ${a} needs a value`);
      return v;
    };
    if (a === '--port' || a === '-p') overrides.set('port', value());
    else if (a === '--data' || a === '-D') overrides.set('data_directory', value());
    else if (a === '--config') configFile = value();
    else if (a === '-c') {
      const kv = value();
      const eq = kv.indexOf('=');
      if (eq === -1) throw new Error(`-c ${kv}: expected name=value`);
      overrides.set(kv.slice(0, eq).trim().toLowerCase(), unquote(kv.slice(eq + 1)));
    } else if (a.startsWith('--') && a.includes('=')) {
      const [k, v] = a.slice(2).split('=', 2);
      overrides.set(k.replace(/-/g, '_').toLowerCase(), v);
    } else throw new Error(`unknown option ${a}`);
  }
  return { configFile, overrides };
}

export function loadConfig(configFile: string | null, overrides: Map<string, string>): ServerConfig {
  const raw = new Map<string, string>();
  if (configFile !== null) parseConfText(fs.readFileSync(configFile, 'utf8'), configFile, raw);
  for (const [k, v] of overrides) {
    if (!KNOWN_SETTINGS.has(k) && !k.startsWith('user.')) throw new Error(`unrecognized configuration parameter "${k}"`);
    raw.set(k, v);
  }
  const users = new Map<string, string>();
  for (const [k, v] of raw) if (k.startsWith('user.')) users.set(k.slice(5), v);
  const auth = (raw.get('auth_method') ?? 'trust').toLowerCase();
  if (auth !== 'trust' && auth !== 'scram-sha-256') throw new Error(`auth_method must be trust or scram-sha-256, not "${auth}"`);
  const port = Number(raw.get('port') ?? 5432);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port "${raw.get('port')}"`);
  const settings = new Map<string, string>();
  for (const [k, v] of raw) if (!k.startsWith('user.')) settings.set(k === 'timezone' ? 'TimeZone' : k === 'datestyle' ? 'DateStyle' : k, v);
  return {
    listenAddresses: raw.get('listen_addresses') ?? '127.0.0.1',
    port,
    dataDirectory: raw.get('data_directory') ?? './data',
    authMethod: auth,
    users,
    maxConnections: Number(raw.get('max_connections') ?? 100),
    raw: settings,
  };
}
