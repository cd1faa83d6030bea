// Command-line options of `tessera` / `npm start`, spelled as postgres spells them where it has them.

export interface CommandLine {
  /** --config FILE; null = the default conf/tessera.conf. */
  configFile: string | null;
  /** name → value from --port, --data, -c name=value, --name=value (names as given; case-insensitive). */
  overrides: Map<string, string>;
  help: boolean;
}

export const USAGE = `Usage: tessera [options]
  -p, --port PORT          TCP port (port)
  -D, --data DIR           data directory (data_directory)
      --config FILE        configuration file (default: conf/tessera.conf)
  -c NAME=VALUE            set any setting, e.g. -c buffer_pool_size=1GB -c user.alice=secret
      --NAME=VALUE         same as -c NAME=VALUE
  -h, --help               show this help`;

/** Parses argv (without node and the script); throws an Error with a readable message on bad usage. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const overrides = new Map<string, string>();
  let configFile: string | null = null;
  let help = false;
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
    else if (a.startsWith('--') && a.includes('=')) setting(a.slice(2));
    else throw new Error(`unknown option "${a}"\n${USAGE}`);
  }
  return { configFile, overrides, help };
}
