// Peak resident memory of a server process while something runs (the TPC-H runner's 22 queries):
// the kernel's high-water mark (VmHWM in /proc/<pid>/status), reset at the start by writing 5 to
// /proc/<pid>/clear_refs so the load before does not count, and VmRSS sampled every 100 ms as a
// fallback where the reset is not allowed. Linux only; elsewhere the peak is unknown (null).
import * as fs from 'fs';

function statusKb(pid: number, field: 'VmHWM' | 'VmRSS' | 'RssAnon'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

export class PeakMemory {
  private sampledKb = 0;
  /** Largest anonymous RSS sampled: the process's own memory, without LMDB's mapped file pages. */
  private sampledAnonKb = 0;
  private readonly timer: NodeJS.Timeout | null;
  private readonly hwmReset: boolean;

  constructor(private readonly pid: number | undefined) {
    let reset = false;
    if (pid !== undefined) {
      try {
        fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
        reset = true;
      } catch {
        // not allowed (or not Linux): the samples alone then
      }
    }
    this.hwmReset = reset;
    this.timer = pid === undefined ? null : setInterval(() => this.sample(), 100);
  }

  private sample(): void {
    const kb = this.pid === undefined ? null : statusKb(this.pid, 'VmRSS');
    if (kb !== null && kb > this.sampledKb) this.sampledKb = kb;
    const anon = this.pid === undefined ? null : statusKb(this.pid, 'RssAnon');
    if (anon !== null && anon > this.sampledAnonKb) this.sampledAnonKb = anon;
  }

  /** The largest anonymous RSS sampled (every 100 ms, so a shorter spike can be missed), or null. */
  peakAnonBytes(): number | null {
    return this.sampledAnonKb === 0 ? null : this.sampledAnonKb * 1024;
  }

  /** Stops sampling; the peak in bytes, or null when nothing could be read. */
  stop(): number | null {
    if (this.timer !== null) clearInterval(this.timer);
    if (this.pid === undefined) return null;
    this.sample();
    const hwm = this.hwmReset ? statusKb(this.pid, 'VmHWM') : null;
    const kb = Math.max(hwm ?? 0, this.sampledKb);
    return kb === 0 ? null : kb * 1024;
  }
}
