// Command-line options of `tessera` / `npm start`, spelled as postgres spells them where it has them.

export interface CommandLine {
  /** --config FILE; null = the default conf/tessera.conf. */
  configFile: string | null;
  /** name → value from --port, --data, -c name=value, --name=value (names as given; case-insensitive). */
  overrides: Map<string, string>;
  help: boolean;
  /** --cluster FILE: run as one node of the cluster that file lists (with --node-id). */
  clusterFile: string | null;
  /** --node-id N: which node of --cluster this process is. */
  nodeId: number | null;
}

export const USAGE = `Usage: tessera [options]
  -p, --port PORT          TCP port (port)
  -D, --data DIR           data directory (data_directory)
      --config FILE        configuration file (default: conf/tessera.conf)
  -c NAME=VALUE            set any setting, e.g. -c buffer_pool_size=1GB -c user.alice=secret
      --NAME=VALUE         same as -c NAME=VALUE
      --cluster FILE       run as a node of the cluster FILE lists (conf/cluster.conf), with --node-id;
                           its client port and data directory come from FILE
      --node-id N          this node's id in --cluster FILE
  -h, --help               show this help`;

/** Parses argv (without node and the script); throws an Error with a readable message on bad usage. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const overrides = new Map<string, string>();
  let configFile: string | null = null;
  let help = false;
  let clusterFile: string | null = null;
  let nodeId: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`option ${a} requires a value`);
      return v;
    };
    const setting = (kv: string) => {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new Error(`${a} ${kv}: expected name=value`);
      const name = kv.slice(0, eq).trim();
      // --buffer-pool-size=1GB works like buffer_pool_size; user names keep their dashes.
      overrides.set(/^user\./i.test(name) ? name : name.replace(/-/g, '_'), kv.slice(eq + 1));
    };
    if (a === '--port' || a === '-p') overrides.set('port', value());
    else if (a.startsWith('--port=')) overrides.set('port', a.slice(7));
    else if (a === '--data' || a === '-D') overrides.set('data_directory', value());
    else if (a.startsWith('--data=')) overrides.set('data_directory', a.slice(7));
    else if (a === '--config') configFile = value();
    else if (a.startsWith('--config=')) configFile = a.slice(9);
    else if (a === '-c') setting(value());
    else if (a.startsWith('-c') && a.length > 2) setting(a.slice(2));
    else if (a === '-h' || a === '--help') help = true;
    else if (a === '--cluster') clusterFile = value();
    else if (a.startsWith('--cluster=')) clusterFile = a.slice(10);
    else if (a === '--node-id') nodeId = value();
    else if (a.startsWith('--node-id=')) nodeId = a.slice(10);
    else if (a.startsWith('--') && a.includes('=')) setting(a.slice(2));
    else throw new Error(`unknown option "${a}"\n${USAGE}`);
  }
  if ((clusterFile === null) !== (nodeId === null)) throw new Error(`options --cluster and --node-id go together\n${USAGE}`);
  if (nodeId !== null && !/^[1-9]\d*$/.test(nodeId)) throw new Error(`option --node-id ${nodeId}: expected a positive integer`);
  return { configFile, overrides, help, clusterFile, nodeId: nodeId === null ? null : Number(nodeId) };
}
