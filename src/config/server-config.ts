// The server's configuration: defaults ← conf file ← command line, checked once at startup and
// turned into a typed ServerConfig (plus every setting as text for the database).
import * as path from 'path';
import { ConfEntry, ConfigError, readConfFile } from './conf-file';
import { findSetting, normalizeSetting, allSettings, parseMemory, userOfSettingName } from './settings';

export interface ServerConfig {
  port: number;
  /** Addresses to listen on, as given (comma-separated in the file); '*' means all. */
  listenAddresses: string[];
  /** Directories for Unix-domain sockets (empty: none). */
  unixSocketDirectories: string[];
  /** Absolute path of the data directory. */
  dataDirectory: string;
  /** Buffer pool budget in bytes. */
  bufferPoolSize: number;
  synchronousCommit: boolean;
  authMethod: 'trust' | 'scram-sha-256';
  /** user → password (or a stored "SCRAM-SHA-256$…" verifier), from `user.<name> = '…'` lines. */
  users: Map<string, string>;
  maxConnections: number;
  /** Startup/authentication deadline, milliseconds. */
  authenticationTimeoutMs: number;
  timeZone: string;
  dateStyle: string;
  /** Every setting (defaults included, passwords excluded), normalized text, for Database.open. */
  raw: Map<string, string>;
  /** Where each setting came from, for error messages and logs ("default", "file:line", "command line"). */
  sources: Map<string, string>;
}

export interface LoadOptions {
  /** The conf file to read, or null for defaults only. */
  configFile: string | null;
  /** Command-line settings (`-c name=value`, --port, --data), applied after the file. */
  overrides?: Map<string, string>;
  /** Relative data_directory paths are resolved against this (default: the current directory). */
  baseDirectory?: string;
}

/** Builds the configuration; throws ConfigError naming the file and line (or option) of a bad setting. */
export function loadConfig(options: LoadOptions): ServerConfig {
  const values = new Map<string, string>();
  const sources = new Map<string, string>();
  const users = new Map<string, string>();
  for (const d of allSettings()) {
    values.set(d.name, normalizeSetting(d, d.default));
    sources.set(d.name, 'default');
  }
  const apply = (name: string, value: string, where: string) => {
    const user = userOfSettingName(name);
    if (user !== null) {
      users.set(user, value);
      return;
    }
    const def = findSetting(name);
    if (def === undefined) throw new ConfigError(`unrecognized configuration parameter "${name}" ${where}`);
    try {
      values.set(def.name, normalizeSetting(def, value));
    } catch (err) {
      throw new ConfigError(`${(err as Error).message} ${where}`);
    }
    sources.set(def.name, where);
  };
  const entries: ConfEntry[] = options.configFile === null ? [] : readConfFile(options.configFile);
  for (const e of entries) apply(e.name, e.value, `in file "${e.file}" line ${e.line}`);
  for (const [k, v] of options.overrides ?? []) apply(k, v, 'on the command line');

  const get = (name: string) => values.get(name)!;
  return {
    port: Number(get('port')),
    listenAddresses: get('listen_addresses')
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== ''),
    unixSocketDirectories: get('unix_socket_directories')
      .split(',')
      .map((d) => d.trim())
      .filter((d) => d !== ''),
    // ':memory:' (as the embedded open() takes it): a server with no files, for trying things and for tests.
    dataDirectory: get('data_directory') === ':memory:' ? ':memory:' : path.resolve(options.baseDirectory ?? process.cwd(), get('data_directory')),
    bufferPoolSize: parseMemory(get('buffer_pool_size'))!,
    synchronousCommit: get('synchronous_commit') === 'on',
    authMethod: get('auth_method') as ServerConfig['authMethod'],
    users,
    maxConnections: Number(get('max_connections')),
    authenticationTimeoutMs: Number(get('authentication_timeout')),
    timeZone: get('TimeZone'),
    dateStyle: get('DateStyle'),
    raw: values,
    sources,
  };
}

export { ConfigError };
