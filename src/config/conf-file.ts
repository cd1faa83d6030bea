// The syntax of postgresql.conf-style files (PostgreSQL's guc-file.l): `name = value` lines ('=' is
// optional), '#' comments, values unquoted (on, 5432, 256MB) or single-quoted with '' and backslash
// escapes, and `include 'file'` / `include_if_exists 'file'` relative to the including file.
// Only syntax here: which names exist and what values mean is settings.ts's job.
import * as fs from 'fs';
import * as path from 'path';

/** One `name = value` line, with where it came from (for error messages). */
export interface ConfEntry {
  /** As written (case preserved); compare case-insensitively. */
  name: string;
  value: string;
  file: string;
  line: number;
}

export class ConfigError extends Error {}

const MAX_INCLUDE_DEPTH = 10;

/** Parses conf text; `file` names it in errors and anchors relative includes. */
export function parseConfText(text: string, file: string, depth = 0): ConfEntry[] {
  const entries: ConfEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const parsed = parseLine(lines[i], file, lineNo);
    if (parsed === null) continue;
    const lower = parsed.name.toLowerCase();
    if (lower === 'include' || lower === 'include_if_exists') {
      const target = path.resolve(path.dirname(file), parsed.value);
      if (!fs.existsSync(target)) {
        if (lower === 'include_if_exists') continue;
        throw new ConfigError(`could not open configuration file "${target}": No such file or directory (included from "${file}" line ${lineNo})`);
      }
      entries.push(...readConfFile(target, depth + 1));
      continue;
    }
    entries.push({ name: parsed.name, value: parsed.value, file, line: lineNo });
  }
  return entries;
}

export function readConfFile(file: string, depth = 0): ConfEntry[] {
  if (depth > MAX_INCLUDE_DEPTH) throw new ConfigError(`could not open configuration file "${file}": maximum nesting depth exceeded`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`could not open configuration file "${file}": ${(err as Error).message}`);
  }
  return parseConfText(text, file, depth);
}

/** One line → name and value, or null for a blank/comment line. */
function parseLine(line: string, file: string, lineNo: number): { name: string; value: string } | null {
  let pos = 0;
  const skipSpace = () => {
    while (pos < line.length && /\s/.test(line[pos])) pos++;
  };
  const syntaxError = (near: string) => new ConfigError(`syntax error in file "${file}" line ${lineNo}, near ${near === '' ? 'end of line' : `token "${near}"`}`);
  skipSpace();
  if (pos === line.length || line[pos] === '#') return null;
  const nameMatch = /^[A-Za-z_][A-Za-z0-9_$.]*/.exec(line.slice(pos));
  if (nameMatch === null) throw syntaxError(line.slice(pos).split(/\s/)[0]);
  const name = nameMatch[0];
  pos += name.length;
  skipSpace();
  if (line[pos] === '=') {
    pos++;
    skipSpace();
  }
  let value: string;
  if (line[pos] === "'") {
    const q = readQuoted(line, pos + 1);
    if (q === null) throw new ConfigError(`unterminated quoted string in file "${file}" line ${lineNo}`);
    value = q.value;
    pos = q.end;
  } else {
    const m = /^[^\s#']+/.exec(line.slice(pos));
    if (m === null) throw syntaxError('');
    value = m[0];
    pos += value.length;
  }
  skipSpace();
  if (pos < line.length && line[pos] !== '#') throw syntaxError(line.slice(pos).split(/\s/)[0]);
  return { name, value };
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Reads a quoted value starting after its opening quote; '' is a quote, backslash escapes as PostgreSQL's. */
function readQuoted(line: string, start: number): { value: string; end: number } | null {
  let out = '';
  for (let i = start; i < line.length; i++) {
    const ch = line[i];
    if (ch === "'") {
      if (line[i + 1] === "'") {
        out += "'";
        i++;
        continue;
      }
      return { value: out, end: i + 1 };
    }
    if (ch === '\\' && i + 1 < line.length) {
      const next = line[++i];
      const octal = /^[0-7]{1,3}/.exec(line.slice(i));
      if (octal !== null) {
        out += String.fromCharCode(parseInt(octal[0], 8));
        i += octal[0].length - 1;
      } else out += ESCAPES[next] ?? next;
      continue;
    }
    out += ch;
  }
  return null;
}
