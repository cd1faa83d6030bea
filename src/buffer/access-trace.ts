// A recording of the pool's chunk accesses, for replaying the same workload through every
// replacement policy (bench/buffer/hit-rate.ts). Switched on by the `buffer_trace_file` setting.
// File format (text): one accessed key per line, in order; then a line "sizes" and "key bytes"
// lines giving each loaded chunk's size (the last size seen).
import * as fs from 'fs';

export class AccessTrace {
  private keys: number[] = [];
  private readonly sizes = new Map<number, number>();
  private started = false;

  constructor(readonly path: string) {}

  access(key: number): void {
    this.keys.push(key);
    if (this.keys.length >= 65536) this.flush();
  }

  load(key: number, bytes: number): void {
    this.sizes.set(key, bytes);
  }

  /** Appends the accesses recorded so far to the file. */
  private flush(): void {
    const text = this.keys.join('\n') + (this.keys.length > 0 ? '\n' : '');
    if (!this.started) fs.writeFileSync(this.path, text);
    else fs.appendFileSync(this.path, text);
    this.started = true;
    this.keys = [];
  }

  /** Writes what is left and the size table (the pool's owner calls this at shutdown). */
  close(): void {
    this.flush();
    let text = 'sizes\n';
    for (const [k, b] of this.sizes) text += `${k} ${b}\n`;
    fs.appendFileSync(this.path, text);
  }
}

/** A trace file read back: the accessed keys in order and each key's size in bytes. */
export function readTrace(path: string): { keys: number[]; sizes: Map<number, number> } {
  const lines = fs.readFileSync(path, 'utf8').split('\n');
  const keys: number[] = [];
  const sizes = new Map<number, number>();
  let i = 0;
  for (; i < lines.length && lines[i] !== 'sizes'; i++) if (lines[i] !== '') keys.push(Number(lines[i]));
  for (i++; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const [k, b] = lines[i].split(' ');
    sizes.set(Number(k), Number(b));
  }
  return { keys, sizes };
}
