// The server settings a conf file or the command line may set: their kinds, defaults and how values
// are checked and normalized (units for memory and time, on/off booleans) — PostgreSQL's GUC rules.

export type SettingKind =
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'int'; min: number; max: number }
  /** Bytes; a bare number is in `unit` bytes (PostgreSQL's memory GUCs have a base unit); `noLimit`: -1 is accepted too (no limit). */
  | { kind: 'memory'; unit: number; noLimit?: boolean }
  /** Milliseconds; a bare number is in `unit` ms. */
  | { kind: 'time'; unit: number }
  | { kind: 'enum'; values: readonly string[] };

export interface SettingDef {
  /** Spelling shown and handed to the database (TimeZone, DateStyle…); lookups ignore case. */
  name: string;
  type: SettingKind;
  default: string;
  description: string;
}

const KB = 1024;
const MB = 1024 * KB;

const DEFS: SettingDef[] = [
  { name: 'listen_addresses', type: { kind: 'string' }, default: '127.0.0.1', description: "address(es) to listen on: comma-separated host names/IPs, '*' for all" },
  { name: 'port', type: { kind: 'int', min: 0, max: 65535 }, default: '5432', description: 'TCP port (0 = any free port)' },
  { name: 'data_directory', type: { kind: 'string' }, default: './data', description: 'where the database files live' },
  { name: 'unix_socket_directories', type: { kind: 'string' }, default: '/tmp', description: "directories for Unix-domain sockets .s.PGSQL.<port>, comma-separated ('' = none)" },
  { name: 'buffer_pool_size', type: { kind: 'memory', unit: 1 }, default: '256MB', description: 'memory budget of the column-chunk buffer pool' },
  { name: 'buffer_replacement', type: { kind: 'enum', values: ['lirs', 'arc', 'lru'] }, default: 'lirs', description: 'buffer pool replacement policy' },
  { name: 'buffer_trace_file', type: { kind: 'string' }, default: '', description: "records every buffer-pool chunk access to this file, for bench/buffer/hit-rate.ts ('' = off)" },
  { name: 'work_mem', type: { kind: 'memory', unit: KB }, default: '256MB', description: 'memory per hash aggregation before it spills to disk (PostgreSQL: 4MB; Tessera keeps whole columnar batches in memory)' },
  { name: 'standby_fetch_limit', type: { kind: 'memory', unit: KB, noLimit: true }, default: '512MB', description: "chunk bytes a cluster follower may fetch from the leader for one statement; one needing more runs on the leader (-1 = no limit, 0 = any fetch)" },
  { name: 'synchronous_commit', type: { kind: 'bool' }, default: 'on', description: 'acknowledge a commit only after it is flushed to disk' },
  { name: 'auth_method', type: { kind: 'enum', values: ['trust', 'scram-sha-256'] }, default: 'trust', description: 'client authentication' },
  { name: 'authentication_timeout', type: { kind: 'time', unit: 1000 }, default: '1min', description: 'time allowed for startup and authentication' },
  { name: 'max_connections', type: { kind: 'int', min: 1, max: 262143 }, default: '100', description: 'concurrent client sessions' },
  { name: 'max_parallel_workers', type: { kind: 'int', min: 0, max: 1024 }, default: '2', description: 'worker threads for parallel query' },
  { name: 'parallel_min_rows', type: { kind: 'int', min: 0, max: 2147483647 }, default: '262144', description: 'rows a driving table needs before a query runs in parallel' },
  { name: 'parallel_shared_join_rows', type: { kind: 'int', min: 0, max: 2147483647 }, default: '0', description: 'build-side rows from which a parallel aggregate shares one hash table with its workers (0: never)' },
  { name: 'parallel_join_build_rows', type: { kind: 'int', min: 0, max: 2147483647 }, default: '1000000', description: 'build-side rows from which a hash join builds its table in parallel partitions' },
  { name: 'TimeZone', type: { kind: 'string' }, default: 'UTC', description: 'default session time zone' },
  { name: 'DateStyle', type: { kind: 'string' }, default: 'ISO, MDY', description: 'default date output style' },
  { name: 'IntervalStyle', type: { kind: 'enum', values: ['postgres', 'postgres_verbose', 'sql_standard', 'iso_8601'] }, default: 'postgres', description: 'default interval output style' },
  { name: 'extra_float_digits', type: { kind: 'int', min: -15, max: 3 }, default: '1', description: 'float output precision' },
  { name: 'statement_timeout', type: { kind: 'time', unit: 1 }, default: '0', description: 'abort statements running longer (0 = never)' },
  { name: 'lock_timeout', type: { kind: 'time', unit: 1 }, default: '0', description: 'abort lock waits longer than this (0 = never)' },
  { name: 'idle_in_transaction_session_timeout', type: { kind: 'time', unit: 1 }, default: '0', description: 'end sessions idle in a transaction longer (0 = never)' },
  { name: 'ml_optimizer', type: { kind: 'enum', values: ['off', 'shadow', 'on'] }, default: 'off', description: 'learned cardinality model: off, shadow (learn and estimate, plan classic) or on' },
  // Set by --cluster/--node-id from the cluster conf (main.ts), shown by SHOW; not for tessera.conf.
  { name: 'cluster_node_id', type: { kind: 'int', min: 0, max: 65535 }, default: '0', description: "this node's id in its cluster (0 = not clustered)" },
  { name: 'cluster_name', type: { kind: 'string' }, default: '', description: 'the cluster this node belongs to (empty = not clustered)' },
  { name: 'client_min_messages', type: { kind: 'enum', values: ['debug5', 'debug4', 'debug3', 'debug2', 'debug1', 'log', 'notice', 'warning', 'error'] }, default: 'notice', description: 'lowest notice level sent to clients' },
];

const BY_NAME = new Map<string, SettingDef>(DEFS.map((d) => [d.name.toLowerCase(), d]));

/** The definition of a setting (case-insensitive), or undefined when there is no such setting. */
export function findSetting(name: string): SettingDef | undefined {
  return BY_NAME.get(name.toLowerCase());
}

export function allSettings(): readonly SettingDef[] {
  return DEFS;
}

/** `user.<name> = '<password>'` lines declare users rather than settings. */
export function userOfSettingName(name: string): string | null {
  return /^user\./i.test(name) && name.length > 5 ? name.slice(5) : null;
}

const BOOL_TRUE = ['on', 'true', 'yes', '1'];
const BOOL_FALSE = ['off', 'false', 'no', '0'];

/** PostgreSQL's parse_bool: on/off, true/false, yes/no, 1/0 and unambiguous prefixes of the words. */
export function parseBool(text: string): boolean | null {
  const t = text.trim().toLowerCase();
  if (t === '') return null;
  if (BOOL_TRUE.includes(t)) return true;
  if (BOOL_FALSE.includes(t)) return false;
  // Prefixes as PostgreSQL allows: t/tr/tru, f/fa/…, y/ye, n; "o" alone is ambiguous (on/off).
  if ('true'.startsWith(t) || 'yes'.startsWith(t)) return true;
  if ('false'.startsWith(t) || 'no'.startsWith(t)) return false;
  if (t.length >= 2 && 'off'.startsWith(t)) return false;
  return null;
}

const MEMORY_UNITS: Record<string, number> = { b: 1, kb: KB, mb: MB, gb: 1024 * MB, tb: 1024 * 1024 * MB };
const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60000, h: 3600000, d: 86400000 };

/** '256MB', '8kB', '1GB', '1024' (× unit bytes) → bytes; null when malformed. */
export function parseMemory(text: string, unit = 1): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (m === null) return null;
  const factor = m[2] === '' ? unit : MEMORY_UNITS[m[2].toLowerCase()];
  if (factor === undefined) return null;
  return Math.round(Number(m[1]) * factor);
}

/** '5s', '100ms', '1min', '250' (× unit ms) → milliseconds; null when malformed. */
export function parseTime(text: string, unit = 1): number | null {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (m === null) return null;
  const factor = m[2] === '' ? unit : TIME_UNITS[m[2].toLowerCase()];
  if (factor === undefined) return null;
  return Math.round(Number(m[1]) * factor);
}

/**
 * Checks a value and returns its normalized text (booleans → on/off, times → milliseconds,
 * integers → decimal, enums → lower case); throws a message naming the setting when invalid.
 */
export function normalizeSetting(def: SettingDef, value: string): string {
  const bad = (hint: string) => new Error(`invalid value for parameter "${def.name}": "${value}"${hint === '' ? '' : ` (${hint})`}`);
  const t = def.type;
  switch (t.kind) {
    case 'string':
      return value;
    case 'bool': {
      const b = parseBool(value);
      if (b === null) throw bad('expected on/off, true/false, yes/no or 1/0');
      return b ? 'on' : 'off';
    }
    case 'int': {
      const n = Number(value.trim());
      if (value.trim() === '' || !Number.isInteger(n)) throw bad('expected an integer');
      if (n < t.min || n > t.max) throw new Error(`${n} is outside the valid range for parameter "${def.name}" (${t.min} .. ${t.max})`);
      return String(n);
    }
    case 'memory': {
      if (t.noLimit === true && value.trim() === '-1') return '-1';
      const bytes = parseMemory(value, t.unit);
      if (bytes === null) throw bad('valid units are B, kB, MB, GB and TB');
      return value.trim();
    }
    case 'time': {
      const ms = parseTime(value, t.unit);
      if (ms === null || ms < 0) throw bad('valid units are us, ms, s, min, h and d');
      return String(ms);
    }
    case 'enum': {
      const v = value.trim().toLowerCase();
      if (!t.values.includes(v)) throw bad(`available values: ${t.values.join(', ')}`);
      return v;
    }
  }
}
