// The kernel benchmark report: a console/markdown table (kernel, variant, rows, median ms, million
// rows per second), the raw numbers as JSON, and the comparison with a previous run's JSON.

export interface ResultRow {
  kernel: string;
  variant: string;
  rows: number;
  medianMs: number;
  minMs: number;
  /** Median process CPU time (user + system) of a repetition. */
  cpuMs: number;
  /** Least CPU time of a repetition (what --compare compares: noise from other work only adds time). */
  cpuMinMs: number;
  reps: number;
  /** The run's result: output rows for plans, distinct keys for KeyTable builds, a hash value for hashes. */
  result: number;
  /** Million input rows per second at the median wall time. */
  mrowsPerSec: number;
  /** Million input rows per second at the median CPU time (steadier on a busy machine). */
  mrowsPerCpuSec: number;
}

export interface KernelReport {
  machine: string;
  commit: string;
  date: string;
  note: string;
  rows: ResultRow[];
}

/** A kernel is flagged as a regression when its median is more than this much slower than before. */
export const REGRESSION = 1.1;

const key = (r: { kernel: string; variant: string }) => `${r.kernel} | ${r.variant}`;

export interface Comparison {
  row: ResultRow;
  before: ResultRow | null;
  /** new / old least CPU time of a repetition (> 1 = slower). */
  ratio: number | null;
  slower: boolean;
}

export function compare(now: ResultRow[], before: KernelReport): Comparison[] {
  const old = new Map(before.rows.map((r) => [key(r), r]));
  return now.map((row) => {
    const b = old.get(key(row)) ?? null;
    // Rows of a different size are not comparable (e.g. a --quick run against a full one).
    const ratio = b === null || b.rows !== row.rows ? null : row.cpuMinMs / (b.cpuMinMs ?? b.cpuMs);
    return { row, before: b, ratio, slower: ratio !== null && ratio > REGRESSION };
  });
}

/** Table lines: markdown pipes (also readable on a console). */
export function tableLines(rows: ResultRow[], cmp: Comparison[] | null = null): string[] {
  const head = '| kernel | variant | rows | median ms | M rows/s | CPU ms | M rows/CPU s | min CPU ms |' + (cmp === null ? '' : ' min CPU ms before | ratio |');
  const lines = [head, '|---|---|---:|---:|---:|---:|---:|---:|' + (cmp === null ? '' : '---:|---:|')];
  rows.forEach((r, i) => {
    const base = `| ${r.kernel} | ${r.variant} | ${r.rows} | ${r.medianMs.toFixed(1)} | ${rate(r.mrowsPerSec)} | ${r.cpuMs.toFixed(1)} | ${rate(r.mrowsPerCpuSec)} | ${r.cpuMinMs.toFixed(1)} |`;
    if (cmp === null) lines.push(base);
    else {
      const c = cmp[i];
      const ratio = c.ratio === null ? '—' : `${c.ratio.toFixed(2)}${c.slower ? ' **SLOWER**' : ''}`;
      lines.push(`${base} ${c.before === null || c.ratio === null ? '—' : (c.before.cpuMinMs ?? c.before.cpuMs).toFixed(1)} | ${ratio} |`);
    }
  });
  return lines;
}

const rate = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

export function markdown(r: KernelReport): string {
  return [
    '# Kernel micro-benchmarks',
    '',
    `Machine: ${r.machine}. Commit ${r.commit}, ${r.date}. ${r.note}`,
    '',
    ...tableLines(r.rows),
    '',
  ].join('\n');
}
