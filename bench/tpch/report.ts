// The TPC-H report: a markdown table (per-query median times, ratio to PostgreSQL, rows, validity)
// and an SVG bar chart, plus the raw numbers as JSON, all with the machine named.
import * as os from 'os';

export interface ReportRow {
  query: string;
  tesseraMs: number;
  postgresMs: number | null;
  /** PostgreSQL was canceled at the runner's time limit: postgresMs is that limit, a lower bound. */
  postgresTimedOut?: boolean;
  rows: number;
  valid: string;
  /** Where the reference answer came from (e.g. PostgreSQL 15 at SF 10, or its decorrelated rewrite). */
  checkedAgainst?: string;
  memory?: QueryMemory;
}

/** One query's memory (run.ts --memory-per-query). */
export interface QueryMemory {
  peakRssBytes: number | null;
  /** Anonymous RSS: the process's own memory, LMDB's mapped file pages excluded. */
  peakAnonBytes: number | null;
  /** The parallel workers' V8 heaps (committed) and their external memory, summed over workers. */
  workersHeapBytes: number;
  workersBuffersBytes: number;
  /** After the query: the main thread's V8 heap and external memory (array buffers: decoded chunks), the pool's resident bytes. */
  mainHeapBytes?: number;
  mainExternalBytes?: number;
  poolResidentBytes?: number;
}

export interface Report {
  sf: string;
  runs: number;
  commit: string;
  machine: string;
  date: string;
  load: { table: string; rows: number; tesseraSeconds: number; postgresSeconds: number | null }[];
  rows: ReportRow[];
  /** The Tessera server's peak resident memory during the queries (null: unknown). */
  tesseraPeakRssBytes?: number | null;
  /** Peak resident memory during the load (null: unknown or no load). */
  tesseraLoadPeakRssBytes?: number | null;
  /** Server settings given to the run (buffer_pool_size etc.). */
  settings?: Record<string, string>;
  /** Bytes of Tessera's data directory after the load, and of the .tbl files loaded (null: unknown). */
  storedBytes?: number | null;
  rawTblBytes?: number | null;
  /** The 1-minute load average when the Tessera queries started (the machine may be shared). */
  loadAverage?: number;
}

export function machineDescription(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
}

const mib = (b: number | null | undefined) => (b == null ? '—' : (b / 2 ** 20).toFixed(0));
const hasChecked = (r: Report) => r.rows.some((x) => x.checkedAgainst !== undefined);
const hasMemory = (r: Report) => r.rows.some((x) => x.memory !== undefined);

/** Optional columns: the reference each answer was checked against, and per-query memory. */
function extraHeader(r: Report): string {
  return (hasChecked(r) ? ' checked against |' : '') + (hasMemory(r) ? " peak RSS MiB | peak anon. RSS MiB | workers' heaps MiB | workers' external MiB | main heap after MiB | main external after MiB | pool resident after MiB |" : '');
}

function extraRule(r: Report): string {
  return (hasChecked(r) ? '---|' : '') + (hasMemory(r) ? '---:|---:|---:|---:|---:|---:|---:|' : '');
}

function extraCells(r: Report, x: ReportRow): string {
  const m = x.memory;
  return (hasChecked(r) ? ` ${x.checkedAgainst ?? '—'} |` : '') + (hasMemory(r) ? ` ${mib(m?.peakRssBytes)} | ${mib(m?.peakAnonBytes)} | ${mib(m?.workersHeapBytes)} | ${mib(m?.workersBuffersBytes)} | ${mib(m?.mainHeapBytes)} | ${mib(m?.mainExternalBytes)} | ${mib(m?.poolResidentBytes)} |` : '');
}

const fmt = (ms: number | null) => (ms === null || Number.isNaN(ms) ? '—' : ms.toFixed(1));

export function markdown(r: Report): string {
  const withPg = r.rows.some((x) => x.postgresMs !== null);
  const lines = [
    `# TPC-H SF ${r.sf}: Tessera${withPg ? ' vs PostgreSQL 15' : ''}`,
    '',
    `Machine: ${r.machine}. Commit ${r.commit}, ${r.date}. ${r.runs === 0 ? 'One cold run per query (no warm-up), in order Q1..Q22' : `Median of ${r.runs} hot runs after one warm-up`}, same connection method for both.`,
    '',
    ...(r.tesseraPeakRssBytes != null ? [`Tessera server's peak memory (RSS) during the 22 queries: ${(r.tesseraPeakRssBytes / 2 ** 20).toFixed(0)} MiB.`, ''] : []),
    ...(r.tesseraLoadPeakRssBytes != null ? [`Peak memory (RSS) during the load: ${(r.tesseraLoadPeakRssBytes / 2 ** 20).toFixed(0)} MiB.`, ''] : []),
    ...(r.settings !== undefined ? [`Server settings: ${Object.entries(r.settings).map(([k, v]) => `${k}=${v}`).join(', ')}.`, ''] : []),
    ...(r.storedBytes != null && r.rawTblBytes != null ? [`Data directory on disk: ${(r.storedBytes / 2 ** 30).toFixed(2)} GiB; raw .tbl files: ${(r.rawTblBytes / 2 ** 30).toFixed(2)} GiB (${(r.rawTblBytes / r.storedBytes).toFixed(2)}× smaller on disk).`, ''] : []),
    ...(r.loadAverage !== undefined ? [`Load average (1 min) when the queries started: ${r.loadAverage.toFixed(2)}.`, ''] : []),
    (withPg ? '| query | Tessera ms | PostgreSQL ms | Tessera / PostgreSQL | rows | valid |' : '| query | Tessera ms | rows | valid |') + extraHeader(r),
    (withPg ? '|---|---:|---:|---:|---:|---|' : '|---|---:|---:|---|') + extraRule(r),
  ];
  let tTotal = 0;
  let pTotal = 0;
  const pgCell = (x: ReportRow) => (x.postgresTimedOut ? `> ${fmt(x.postgresMs)} (canceled)` : fmt(x.postgresMs));
  const ratio = (x: ReportRow) => (x.postgresMs ? `${x.postgresTimedOut ? '< ' : ''}${(x.tesseraMs / x.postgresMs).toFixed(x.postgresTimedOut ? 4 : 2)}` : '—');
  const anyTimedOut = r.rows.some((x) => x.postgresTimedOut);
  for (const x of r.rows) {
    tTotal += Number.isNaN(x.tesseraMs) ? 0 : x.tesseraMs;
    pTotal += x.postgresMs ?? 0;
    lines.push(
      withPg
        ? `| ${x.query} | ${fmt(x.tesseraMs)} | ${pgCell(x)} | ${ratio(x)} | ${x.rows} | ${x.valid} |${extraCells(r, x)}`
        : `| ${x.query} | ${fmt(x.tesseraMs)} | ${x.rows} | ${x.valid} |${extraCells(r, x)}`,
    );
  }
  const blanks = ' |'.repeat(extraRule(r).split('|').length - 1);
  lines.push((withPg ? `| **total** | ${fmt(tTotal)} | ${anyTimedOut ? '> ' : ''}${fmt(pTotal)} | ${anyTimedOut ? '< ' : ''}${(tTotal / pTotal).toFixed(2)} | | |` : `| **total** | ${fmt(tTotal)} | | |`) + blanks);
  if (anyTimedOut)
    lines.push('', 'PostgreSQL queries marked "canceled" hit the runner\'s time limit (`--postgres-timeout`): their time is a lower bound, and their reference answer comes from PostgreSQL running a hand-decorrelated rewrite with the same answer (bench/tpch/queries-decorrelated/).');
  lines.push('', '## Load (COPY FROM STDIN through psql)', '', withPg ? '| table | rows | Tessera s | PostgreSQL s |' : '| table | rows | Tessera s |', withPg ? '|---|---:|---:|---:|' : '|---|---:|---:|');
  for (const l of r.load)
    lines.push(withPg ? `| ${l.table} | ${l.rows} | ${l.tesseraSeconds.toFixed(2)} | ${l.postgresSeconds?.toFixed(2) ?? '—'} |` : `| ${l.table} | ${l.rows} | ${l.tesseraSeconds.toFixed(2)} |`);
  return lines.join('\n') + '\n';
}

/** Horizontal bars per query (log-free, linear in ms), Tessera and PostgreSQL side by side. */
export function svgChart(r: Report): string {
  const rowH = 22;
  const left = 60;
  const width = 760;
  // A canceled PostgreSQL query (time = the limit) would flatten every other bar: it is drawn
  // to the full width and labelled instead.
  const max = Math.max(...r.rows.map((x) => Math.max(Number.isNaN(x.tesseraMs) ? 0 : x.tesseraMs, x.postgresTimedOut ? 0 : x.postgresMs ?? 0)), 1);
  const scale = (ms: number) => ((width - left - 80) * Math.min(ms, max)) / max;
  const parts: string[] = [];
  r.rows.forEach((x, i) => {
    const y = 30 + i * rowH;
    parts.push(`<text x="5" y="${y + 12}" font-size="12" font-family="sans-serif">${x.query}</text>`);
    const t = Number.isNaN(x.tesseraMs) ? 0 : x.tesseraMs;
    parts.push(`<rect x="${left}" y="${y}" width="${scale(t).toFixed(1)}" height="8" fill="#3a7bd5"><title>Tessera ${fmt(x.tesseraMs)} ms</title></rect>`);
    if (x.postgresMs !== null) parts.push(`<rect x="${left}" y="${y + 9}" width="${scale(x.postgresMs).toFixed(1)}" height="8" fill="#999"><title>PostgreSQL ${x.postgresTimedOut ? '> ' : ''}${fmt(x.postgresMs)} ms</title></rect>`);
    parts.push(`<text x="${left + scale(Math.max(t, x.postgresMs ?? 0)) + 4}" y="${y + 12}" font-size="10" font-family="sans-serif">${fmt(x.tesseraMs)}${x.postgresMs !== null ? ' / ' + (x.postgresTimedOut ? '> ' : '') + fmt(x.postgresMs) : ''} ms</text>`);
  });
  const height = 40 + r.rows.length * rowH;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<text x="5" y="16" font-size="14" font-family="sans-serif">TPC-H SF ${r.sf} median ms — blue: Tessera, grey: PostgreSQL 15</text>
${parts.join('\n')}
</svg>
`;
}
