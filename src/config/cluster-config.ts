// conf/cluster.conf: which nodes make up a cluster and the settings they must all agree on (etcd,
// replication factor, failure detector, interconnect batching). Same `name = value` syntax as
// tessera.conf (conf-file.ts); a node's own settings (buffer pool, auth…) stay in tessera.conf.
//
// Nodes are written one field a line, `node.<id>.<field> = value`, fields host, interconnect_port,
// client_port and data_directory, all required. Relative data directories are relative to the
// directory of the cluster.conf file (so nodes started from anywhere agree on them).
import * as path from 'path';
import { ConfEntry, ConfigError, parseConfText, readConfFile } from './conf-file';
import { parseTime } from './settings';
import { ClusterSettings } from '../types/cluster-settings';

/** One node as the conf lists it: the fields of cluster/cluster-types.ts NodeInfo plus its data directory. */
export interface ClusterNodeConfig {
  id: number;
  host: string;
  interconnectPort: number;
  clientPort: number;
  /** Absolute path. */
  dataDirectory: string;
}

/** etcd started by the launcher (`etcd = local`), on loopback. */
export interface LocalEtcdConfig {
  host: string;
  clientPort: number;
  peerPort: number;
  /** Absolute path. */
  dataDirectory: string;
}

export interface ClusterConfig extends ClusterSettings {
  /** Absolute path of the file read (as given when parsed from text). */
  file: string;
  /** Set when `etcd = local`: the launcher starts this etcd (etcdEndpoints then names it). */
  localEtcd: LocalEtcdConfig | null;
  /** Sorted by id. */
  nodes: ClusterNodeConfig[];
}

type Scalar = { kind: 'string' } | { kind: 'int'; min: number; max: number } | { kind: 'number'; min: number; max: number } | { kind: 'time' };

const CLUSTER_SETTINGS: Record<string, { type: Scalar; default: string }> = {
  cluster_name: { type: { kind: 'string' }, default: 'tessera' },
  etcd: { type: { kind: 'string' }, default: 'local' },
  etcd_host: { type: { kind: 'string' }, default: '127.0.0.1' },
  etcd_client_port: { type: { kind: 'int', min: 1, max: 65535 }, default: '2379' },
  etcd_peer_port: { type: { kind: 'int', min: 1, max: 65535 }, default: '2380' },
  etcd_data_directory: { type: { kind: 'string' }, default: 'etcd' },
  etcd_lease_ttl: { type: { kind: 'time' }, default: '5s' },
  replication_factor: { type: { kind: 'int', min: 1, max: 16 }, default: '2' },
  heartbeat_interval: { type: { kind: 'time' }, default: '100ms' },
  phi_threshold: { type: { kind: 'number', min: 0.1, max: 1000 }, default: '8' },
  acceptable_pause: { type: { kind: 'time' }, default: '500ms' },
  expel_after: { type: { kind: 'time' }, default: '1s' },
  read_lease: { type: { kind: 'time' }, default: '1s' },
  leader_stall_limit: { type: { kind: 'time' }, default: '60s' },
  batch_window: { type: { kind: 'time' }, default: '1ms' },
  max_batch: { type: { kind: 'int', min: 1, max: 100000 }, default: '100' },
};

const NODE_FIELDS = ['host', 'interconnect_port', 'client_port', 'data_directory'] as const;
type NodeField = (typeof NODE_FIELDS)[number];
const MAX_NODE_ID = 65535;

/** Reads and checks a cluster conf file; throws ConfigError naming the file and line of a bad setting. */
export function readClusterConfig(file: string): ClusterConfig {
  const abs = path.resolve(file);
  return clusterConfigFromEntries(readConfFile(abs), abs);
}

/** The same from text; relative data directories resolve against `baseDirectory`. */
export function parseClusterConfig(text: string, file: string, baseDirectory = path.dirname(path.resolve(file))): ClusterConfig {
  return clusterConfigFromEntries(parseConfText(text, file), file, baseDirectory);
}

function where(e: ConfEntry): string {
  return `in file "${e.file}" line ${e.line}`;
}

function clusterConfigFromEntries(entries: ConfEntry[], file: string, baseDirectory = path.dirname(path.resolve(file))): ClusterConfig {
  const seen = new Map<string, ConfEntry>();
  const settings = new Map<string, { value: string; entry: ConfEntry | null }>();
  for (const [name, d] of Object.entries(CLUSTER_SETTINGS)) settings.set(name, { value: d.default, entry: null });
  const nodes = new Map<number, { fields: Map<NodeField, ConfEntry>; first: ConfEntry }>();

  for (const e of entries) {
    const name = e.name.toLowerCase();
    const earlier = seen.get(name);
    // A node or setting given twice is a mistake (two nodes with one id, an edit left behind), not an override.
    if (earlier !== undefined) throw new ConfigError(`"${e.name}" is set twice ${where(e)} (first at line ${earlier.line})`);
    seen.set(name, e);
    const m = /^node\.([^.]+)\.([^.]+)$/.exec(name);
    if (m !== null) {
      const id = Number(m[1]);
      if (!/^\d+$/.test(m[1]) || id < 1 || id > MAX_NODE_ID) throw new ConfigError(`invalid node id "${m[1]}" ${where(e)} (expected an integer 1 .. ${MAX_NODE_ID})`);
      if (!(NODE_FIELDS as readonly string[]).includes(m[2])) throw new ConfigError(`unrecognized node field "${m[2]}" ${where(e)} (expected ${NODE_FIELDS.join(', ')})`);
      let node = nodes.get(id);
      if (node === undefined) nodes.set(id, (node = { fields: new Map(), first: e }));
      node.fields.set(m[2] as NodeField, e);
      continue;
    }
    if (name.startsWith('node.')) throw new ConfigError(`malformed node line "${e.name}" ${where(e)} (expected node.<id>.<field>)`);
    const def = CLUSTER_SETTINGS[name];
    if (def === undefined) throw new ConfigError(`unrecognized cluster parameter "${e.name}" ${where(e)}`);
    checkScalar(name, def.type, e.value, where(e));
    settings.set(name, { value: e.value, entry: e });
  }

  const get = (name: string) => settings.get(name)!.value;
  const at = (name: string) => {
    const e = settings.get(name)!.entry;
    return e === null ? `(default of ${name})` : where(e);
  };
  const resolveDir = (dir: string) => path.resolve(baseDirectory, dir);

  const nodeList: ClusterNodeConfig[] = [];
  for (const [id, n] of [...nodes].sort((a, b) => a[0] - b[0])) {
    const field = (f: NodeField): ConfEntry => {
      const e = n.fields.get(f);
      if (e === undefined) throw new ConfigError(`node ${id} has no node.${id}.${f} (node ${id} starts in file "${n.first.file}" line ${n.first.line})`);
      return e;
    };
    const port = (f: NodeField) => {
      const e = field(f);
      checkScalar(`node.${id}.${f}`, { kind: 'int', min: 1, max: 65535 }, e.value, where(e));
      return Number(e.value);
    };
    const host = field('host');
    if (host.value.trim() === '') throw new ConfigError(`node.${id}.host is empty ${where(host)}`);
    const dir = field('data_directory');
    if (dir.value.trim() === '') throw new ConfigError(`node.${id}.data_directory is empty ${where(dir)}`);
    nodeList.push({ id, host: host.value.trim(), interconnectPort: port('interconnect_port'), clientPort: port('client_port'), dataDirectory: resolveDir(dir.value) });
  }
  if (nodeList.length === 0) throw new ConfigError(`no nodes in "${file}" (add node.<id>.host, .interconnect_port, .client_port and .data_directory lines)`);

  const etcd = get('etcd').trim();
  const localEtcd: LocalEtcdConfig | null =
    etcd.toLowerCase() === 'local'
      ? { host: get('etcd_host'), clientPort: Number(get('etcd_client_port')), peerPort: Number(get('etcd_peer_port')), dataDirectory: resolveDir(get('etcd_data_directory')) }
      : null;
  const etcdEndpoints = localEtcd !== null ? [`http://${localEtcd.host}:${localEtcd.clientPort}`] : etcd.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const url of etcdEndpoints) {
    if (!/^https?:\/\/[^/\s]+:\d+\/?$/.test(url)) throw new ConfigError(`invalid etcd endpoint "${url}" ${at('etcd')} (expected local or http://host:port[,http://host:port…])`);
  }
  if (etcdEndpoints.length === 0) throw new ConfigError(`etcd is empty ${at('etcd')} (expected local or http://host:port)`);

  checkPortClashes(nodeList, localEtcd, seen, at);
  checkDataDirectories(nodeList, localEtcd, seen);

  const replicationFactor = Number(get('replication_factor'));
  // read-lease.ts: a lease an expelling leader gave must run out before its own death can be noticed.
  if (parseTime(get('read_lease'))! > parseTime(get('expel_after'))!) throw new ConfigError(`read_lease (${get('read_lease')}) must not exceed expel_after (${get('expel_after')}) ${at('read_lease')}`);
  if (replicationFactor > nodeList.length) throw new ConfigError(`replication_factor ${replicationFactor} is more than the ${nodeList.length} node(s) listed ${at('replication_factor')}`);
  return {
    file,
    name: get('cluster_name'),
    etcdEndpoints,
    localEtcd,
    replicationFactor,
    leaseTtlMs: parseTime(get('etcd_lease_ttl'))!,
    heartbeatIntervalMs: parseTime(get('heartbeat_interval'))!,
    phiThreshold: Number(get('phi_threshold')),
    acceptablePauseMs: parseTime(get('acceptable_pause'))!,
    expelAfterMs: parseTime(get('expel_after'))!,
    readLeaseMs: parseTime(get('read_lease'))!,
    leaderStallLimitMs: parseTime(get('leader_stall_limit'))!,
    batchWindowMs: parseTime(get('batch_window'))!,
    maxBatch: Number(get('max_batch')),
    nodes: nodeList,
  };
}

function checkScalar(name: string, type: Scalar, value: string, at: string): void {
  const v = value.trim();
  switch (type.kind) {
    case 'string':
      return;
    case 'int':
    case 'number': {
      const n = Number(v);
      const ok = v !== '' && (type.kind === 'int' ? Number.isInteger(n) : Number.isFinite(n));
      if (!ok) throw new ConfigError(`invalid value for "${name}": "${value}" ${at} (expected ${type.kind === 'int' ? 'an integer' : 'a number'})`);
      if (n < type.min || n > type.max) throw new ConfigError(`${n} is outside the valid range for "${name}" (${type.min} .. ${type.max}) ${at}`);
      return;
    }
    case 'time': {
      const ms = parseTime(v);
      if (ms === null || ms < 0) throw new ConfigError(`invalid value for "${name}": "${value}" ${at} (a time: valid units are us, ms, s, min, h and d; a bare number is ms)`);
      return;
    }
  }
}

/** Two listeners on one host and port cannot both start: say which lines collide. */
function checkPortClashes(nodes: ClusterNodeConfig[], etcd: LocalEtcdConfig | null, seen: Map<string, ConfEntry>, at: (name: string) => string): void {
  const owners = new Map<string, string>();
  const claim = (host: string, port: number, what: string, where: string) => {
    // Loopback spellings and the wildcard all clash with each other on one machine.
    const key = `${/^(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\*|::1?)$/i.test(host) ? 'local' : host}:${port}`;
    const other = owners.get(key);
    if (other !== undefined) throw new ConfigError(`port ${port} of ${what} ${where} is already used by ${other}`);
    owners.set(key, `${what} ${where}`);
  };
  const lineOf = (name: string) => {
    const e = seen.get(name);
    return e === undefined ? '' : where(e);
  };
  for (const n of nodes) {
    claim(n.host, n.clientPort, `node.${n.id}.client_port`, lineOf(`node.${n.id}.client_port`));
    claim(n.host, n.interconnectPort, `node.${n.id}.interconnect_port`, lineOf(`node.${n.id}.interconnect_port`));
  }
  if (etcd !== null) {
    claim(etcd.host, etcd.clientPort, 'etcd_client_port', at('etcd_client_port'));
    claim(etcd.host, etcd.peerPort, 'etcd_peer_port', at('etcd_peer_port'));
  }
}

/** Two nodes on one data directory would corrupt each other (the second one also fails on the lock). */
function checkDataDirectories(nodes: ClusterNodeConfig[], etcd: LocalEtcdConfig | null, seen: Map<string, ConfEntry>): void {
  const owners = new Map<string, number>();
  for (const n of nodes) {
    const other = owners.get(n.dataDirectory);
    if (other !== undefined) throw new ConfigError(`node ${n.id} and node ${other} have the same data directory "${n.dataDirectory}" ${where(seen.get(`node.${n.id}.data_directory`)!)}`);
    if (etcd !== null && etcd.dataDirectory === n.dataDirectory) throw new ConfigError(`node ${n.id}'s data directory is etcd's ("${n.dataDirectory}") ${where(seen.get(`node.${n.id}.data_directory`)!)}`);
    owners.set(n.dataDirectory, n.id);
  }
}

/** What formatClusterConf writes: the nodes and any cluster settings that differ from the defaults. */
export interface ClusterConfSpec {
  name?: string;
  /** 'local' (with etcd_client_port/peer_port/data_directory in `settings`) or http endpoints. */
  etcd: 'local' | string[];
  nodes: ClusterNodeConfig[];
  /** Other cluster settings by conf name (etcd_client_port, phi_threshold, batch_window…). */
  settings?: Record<string, string | number>;
}

/** Cluster conf text for a spec (the launcher's --nodes N and the test helper write it); readClusterConfig reads it back. */
export function formatClusterConf(spec: ClusterConfSpec): string {
  const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  const lines = ['# Generated by the Tessera cluster launcher; syntax and settings as in conf/cluster.conf.'];
  lines.push(`cluster_name = ${q(spec.name ?? 'tessera')}`);
  lines.push(`etcd = ${q(spec.etcd === 'local' ? 'local' : spec.etcd.join(','))}`);
  for (const [k, v] of Object.entries(spec.settings ?? {})) {
    if (CLUSTER_SETTINGS[k.toLowerCase()] === undefined) throw new ConfigError(`unrecognized cluster parameter "${k}"`);
    lines.push(`${k} = ${q(String(v))}`);
  }
  for (const n of spec.nodes) {
    lines.push('');
    lines.push(`node.${n.id}.host = ${q(n.host)}`);
    lines.push(`node.${n.id}.interconnect_port = ${n.interconnectPort}`);
    lines.push(`node.${n.id}.client_port = ${n.clientPort}`);
    lines.push(`node.${n.id}.data_directory = ${q(n.dataDirectory)}`);
  }
  return lines.join('\n') + '\n';
}

export { ConfigError };
