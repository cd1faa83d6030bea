// Session settings (SET/SHOW/RESET) with the ones PostgreSQL reports to clients via ParameterStatus.
import { SqlError, SqlState } from '../types/sql-error';
import { FormatSettings } from '../types/text-format';
import { STANDBY_FETCH_LIMIT_DEFAULT, standbyFetchLimitBytes } from './standby-fetch-limit';

export const SERVER_VERSION = '15.0';
export const SERVER_VERSION_NUM = '150000';

/** Settings reported to clients at startup and whenever they change (PostgreSQL's GUC_REPORT ones). */
export const REPORTED = [
  'application_name',
  'client_encoding',
  'DateStyle',
  'default_transaction_read_only',
  'in_hot_standby',
  'integer_datetimes',
  'IntervalStyle',
  'is_superuser',
  'server_encoding',
  'server_version',
  'session_authorization',
  'standard_conforming_strings',
  'TimeZone',
] as const;

/** Default value of each known setting; names are matched case-insensitively and shown as spelled here. */
const DEFAULTS: Record<string, string> = {
  application_name: '',
  client_encoding: 'UTF8',
  DateStyle: 'ISO, MDY',
  default_transaction_read_only: 'off',
  in_hot_standby: 'off',
  integer_datetimes: 'on',
  IntervalStyle: 'postgres',
  is_superuser: 'on',
  server_encoding: 'UTF8',
  server_version: SERVER_VERSION,
  server_version_num: SERVER_VERSION_NUM,
  session_authorization: 'postgres',
  standard_conforming_strings: 'on',
  TimeZone: 'UTC',
  extra_float_digits: '1',
  search_path: '"$user", public',
  statement_timeout: '0',
  lock_timeout: '0',
  idle_in_transaction_session_timeout: '0',
  transaction_isolation: 'read committed',
  default_transaction_isolation: 'read committed',
  synchronous_commit: 'on',
  max_parallel_workers: '2',
  parallel_min_rows: '262144',
  parallel_join_build_rows: '1000000',
  parallel_shared_join_rows: '0',
  // In a cluster: other nodes take morsels of parallel fragments (no effect on a single node).
  cluster_parallel_query: 'on',
  // Nodes taking part in parallel query (set by the cluster layer, fragment-provider.ts; 1: no cluster):
  // the planner then picks each join's distribution (planner/join-distribution.ts), unless forced here.
  cluster_nodes: '1',
  cluster_join_distribution: 'auto',
  // auto never shuffles a join whose build side is estimated below this many rows (planner/join-distribution.ts).
  cluster_shuffle_min_build_rows: '1000000',
  work_mem: '256MB',
  // A cluster follower runs a statement needing more chunk bytes from the leader on the leader (engine/standby-fetch-limit.ts).
  standby_fetch_limit: STANDBY_FETCH_LIMIT_DEFAULT,
  buffer_pool_size: '256MB',
  client_min_messages: 'notice',
  datestyle: 'ISO, MDY',
  bytea_output: 'hex',
  row_security: 'on',
  max_connections: '100',
  // Two-phase commit (PREPARE TRANSACTION) is not offered: PostgreSQL's default, under which it is disabled.
  max_prepared_transactions: '0',
  max_identifier_length: '63',
  block_size: '8192',
  lc_collate: 'C',
  lc_ctype: 'C',
  lc_messages: 'C',
  lc_monetary: 'C',
  lc_numeric: 'C',
  lc_time: 'C',
  jit: 'off',
  // The learned optimizer (src/ml): off, shadow (learn and estimate, plan classic) or on.
  ml_optimizer: 'off',
  // Whether this session's executed queries become training samples (when ml_optimizer is not off).
  ml_learn: 'on',
  // force_custom_plan: every simple query is bound and planned anew (no statement cache, engine/statement-cache.ts).
  plan_cache_mode: 'auto',
  // Cluster mode (main.ts --cluster --node-id): fixed for the server's life, SET refuses them.
  cluster_node_id: '0',
  cluster_name: '',
};

/** Settings fixed at server start (PostgreSQL's PGC_POSTMASTER ones) that SET must not change. */
const FIXED_AT_START = new Set(['cluster_node_id', 'cluster_name', 'max_connections', 'max_prepared_transactions']);

const CANONICAL = new Map<string, string>();
for (const k of Object.keys(DEFAULTS)) if (k !== 'datestyle') CANONICAL.set(k.toLowerCase(), k);

export function canonicalName(name: string): string | undefined {
  return CANONICAL.get(name.toLowerCase());
}

export class SessionSettings {
  private readonly values = new Map<string, string>();
  /** The same values by lower-case name, as get() is nearly always asked (one lookup, several per statement). */
  private readonly byLower = new Map<string, string>();
  private readonly changed = new Set<string>();
  /**
   * Transaction scoping, as PostgreSQL's GUC stack (guc.c AtEOXact_GUC) for the two levels Tessera has:
   * `beforeTxn` holds each setting's value from before its first change in the current transaction
   * (restored on rollback, so even a plain SET is undone); `sessionValue` holds, for each setting
   * changed by SET LOCAL, the value it returns to on commit (a later plain SET replaces it).
   */
  private readonly beforeTxn = new Map<string, string>();
  private readonly sessionValue = new Map<string, string>();
  /** Bumped whenever a setting's value changes (cached plans bound under other settings are not used). */
  version = 0;

  constructor(initial: Map<string, string>) {
    for (const [k, v] of Object.entries(DEFAULTS)) this.values.set(k, v);
    for (const [k, v] of initial) {
      const c = canonicalName(k);
      if (c !== undefined) this.values.set(c, v);
    }
    for (const [lower, c] of CANONICAL) this.byLower.set(lower, this.values.get(c)!);
    this.changed.clear();
  }

  get(name: string): string {
    const known = this.byLower.get(name);
    if (known !== undefined) return known;
    // Callers mostly spell names in lower case already: no lowering then.
    const c = CANONICAL.get(name) ?? canonicalName(name);
    if (c === undefined) throw new SqlError(SqlState.undefinedObject, `unrecognized configuration parameter "${name}"`);
    return this.values.get(c)!;
  }

  /** SET (local: SET LOCAL, whose value lasts until the end of the current transaction). */
  set(name: string, value: string | null, local = false): void {
    const c = canonicalName(name);
    if (c === undefined) throw new SqlError(SqlState.undefinedObject, `unrecognized configuration parameter "${name}"`);
    if (FIXED_AT_START.has(c)) throw new SqlError(SqlState.cantChangeRuntimeParam, `parameter "${c}" cannot be changed without restarting the server`);
    const v = value === null ? DEFAULTS[c] : normalize(c, value);
    const current = this.values.get(c)!;
    if (!this.beforeTxn.has(c)) this.beforeTxn.set(c, current);
    if (!local) this.sessionValue.delete(c);
    else if (!this.sessionValue.has(c)) this.sessionValue.set(c, current);
    this.assign(c, v);
  }

  /** End of the transaction: commit keeps plain SETs and undoes SET LOCALs; rollback undoes both. */
  endTransaction(commit: boolean): void {
    // Every simple query ends a command group: most change no setting.
    if (this.beforeTxn.size === 0 && this.sessionValue.size === 0) return;
    const restore = commit ? this.sessionValue : this.beforeTxn;
    for (const [c, v] of restore) this.assign(c, v);
    this.beforeTxn.clear();
    this.sessionValue.clear();
  }

  private assign(c: string, v: string): void {
    if (this.values.get(c) !== v) {
      this.values.set(c, v);
      this.byLower.set(c.toLowerCase(), v);
      this.version++;
      if ((REPORTED as readonly string[]).includes(c)) this.changed.add(c);
    }
  }

  reported(): [string, string][] {
    return REPORTED.map((k) => [k, this.values.get(k)!]);
  }

  takeChanges(): [string, string][] {
    // Asked at every ReadyForQuery; nearly always nothing changed.
    if (this.changed.size === 0) return [];
    const out: [string, string][] = [...this.changed].map((k) => [k, this.values.get(k)!]);
    this.changed.clear();
    return out;
  }

  /** The last format() and the settings version it was made at (every statement asks; settings rarely change). */
  private lastFormat: { version: number; format: FormatSettings } | null = null;

  format(): FormatSettings {
    if (this.lastFormat !== null && this.lastFormat.version === this.version) return this.lastFormat.format;
    const format: FormatSettings = Object.freeze({
      timeZone: this.values.get('TimeZone')!,
      dateStyle: this.values.get('DateStyle')!,
      extraFloatDigits: Number(this.values.get('extra_float_digits')),
      intervalStyle: this.values.get('IntervalStyle')!,
    });
    this.lastFormat = { version: this.version, format };
    return format;
  }

  names(): string[] {
    return [...this.values.keys()].filter((k) => k !== 'datestyle').sort();
  }

  all(): [string, string][] {
    return [...this.values.entries()].filter(([k]) => k !== 'datestyle');
  }
}

/** Checks and spells values as PostgreSQL shows them after SET. */
function normalize(name: string, value: string): string {
  switch (name) {
    case 'client_encoding':
      if (!/^utf-?8$/i.test(value) && value.toLowerCase() !== 'unicode')
        throw new SqlError(SqlState.featureNotSupported, `client_encoding ${value} is not supported (only UTF8)`);
      return 'UTF8';
    case 'DateStyle': {
      const parts = value.split(/\s*,\s*/).map((p) => p.toUpperCase());
      if (parts.some((p) => !['ISO', 'MDY', 'DMY', 'YMD', 'SQL', 'POSTGRES', 'GERMAN', 'EURO', 'US', 'NONEURO'].includes(p)))
        throw new SqlError(SqlState.invalidParameterValue, `invalid value for parameter "DateStyle": "${value}"`);
      if (parts.some((p) => p !== 'ISO' && p !== 'MDY')) throw new SqlError(SqlState.featureNotSupported, `DateStyle ${value} is not supported (only ISO, MDY)`);
      return 'ISO, MDY';
    }
    case 'extra_float_digits':
      return integerIn(name, value, -15, 3);
    case 'TimeZone':
      return normalizeTimeZone(value);
    case 'ml_optimizer':
      return oneOf(name, value, ['off', 'on', 'shadow']);
    case 'plan_cache_mode':
      return oneOf(name, value, ['auto', 'force_generic_plan', 'force_custom_plan']);
    case 'cluster_parallel_query': {
      const v = value.trim().toLowerCase();
      if (['on', 'true', 'yes', '1'].includes(v)) return 'on';
      if (['off', 'false', 'no', '0'].includes(v)) return 'off';
      throw new SqlError(SqlState.invalidParameterValue, `parameter "cluster_parallel_query" requires a Boolean value`);
    }
    case 'cluster_join_distribution':
      return oneOf(name, value, ['auto', 'broadcast', 'shuffle']);
    case 'cluster_shuffle_min_build_rows':
      return integerIn(name, value, 0, 2147483647);
    case 'cluster_nodes':
      return integerIn(name, value, 1, 65535);
    case 'standby_fetch_limit':
      standbyFetchLimitBytes(value);
      return value.trim();
    case 'statement_timeout':
    case 'lock_timeout':
    case 'idle_in_transaction_session_timeout':
      return showDurationMs(parseDurationMs(name, value));
    default:
      return value;
  }
}

/** An enum setting's value in lower case, if it is one of `values` (PostgreSQL's hint lists them in this order). */
function oneOf(name: string, value: string, values: readonly string[]): string {
  const v = value.trim().toLowerCase();
  if (!values.includes(v)) throw new SqlError(SqlState.invalidParameterValue, `invalid value for parameter "${name}": "${value}"`, { hint: `Available values: ${values.join(', ')}.` });
  return v;
}

/** An integer setting's value, if it lies in [lo, hi]. */
function integerIn(name: string, value: string, lo: number, hi: number): string {
  const n = Number(value);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new SqlError(SqlState.invalidParameterValue, `${value} is outside the valid range for parameter "${name}" (${lo} .. ${hi})`);
  return String(n);
}

function normalizeTimeZone(value: string): string {
  const v = value.trim();
  if (/^(utc|gmt|z|zulu)$/i.test(v)) return v.toUpperCase() === 'Z' || v.toLowerCase() === 'zulu' ? 'UTC' : v.toUpperCase();
  if (/^[+-]?\d{1,2}(:\d{2})?$/.test(v)) return v;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: v });
    return v;
  } catch {
    throw new SqlError(SqlState.invalidParameterValue, `invalid value for parameter "TimeZone": "${value}"`);
  }
}

/** Milliseconds as PostgreSQL shows a time setting: the largest unit that divides it (200ms, 5s, 1min). */
function showDurationMs(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, size] of [['d', 86400000], ['h', 3600000], ['min', 60000], ['s', 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** '5s', '100ms', '1min', '1000' (ms) → milliseconds. */
export function parseDurationMs(name: string, value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$/i.exec(value);
  if (m === null) throw new SqlError(SqlState.invalidParameterValue, `invalid value for parameter "${name}": "${value}"`);
  const factor: Record<string, number> = { ms: 1, s: 1000, min: 60000, h: 3600000, d: 86400000 };
  return Math.round(Number(m[1]) * factor[(m[2] ?? 'ms').toLowerCase()]);
}
