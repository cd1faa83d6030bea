// What the pgbench scripts share: a numeric command-line option and running the pgbench binary.
import { spawn } from 'child_process';

/** `--name <number>` from the command line, or `fallback`. */
export function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

/** Runs pgbench with `args`; resolves to what it printed (also when some transactions failed), rejects otherwise. */
export function runPgbench(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('pgbench', args);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => (code === 0 || /actually processed/.test(out) ? resolve(out) : reject(new Error(out))));
  });
}
