// COPY's text and CSV formats (PostgreSQL docs, "COPY — File Formats"): splitting a byte stream
// into rows of fields, and writing rows back out.
import { StringDecoder } from 'string_decoder';
import { SqlError, SqlState } from '../types/sql-error';
import { CopyOptions } from '../sql/bound-statement';

/** Splits a COPY stream into rows of field strings (null = SQL NULL). Handles lines split across chunks. */
export class CopyRowSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private ended = false;
  private headerSkipped: boolean;
  lineNumber = 0;

  constructor(private readonly options: CopyOptions) {
    this.headerSkipped = !options.header;
  }

  /** Feeds bytes; calls onRow for every complete row. */
  push(chunk: Buffer, onRow: (fields: (string | null)[]) => void): void {
    if (this.ended) return;
    const text = this.pending + this.decoder.write(chunk);
    this.pending = this.options.format === 'csv' ? this.splitCsv(text, onRow, false) : this.splitText(text, onRow, false);
  }

  /** End of stream: the last line may lack its newline. */
  finish(onRow: (fields: (string | null)[]) => void): void {
    if (this.ended) return;
    const text = this.pending + this.decoder.end();
    this.pending = '';
    if (text.length > 0) this.options.format === 'csv' ? this.splitCsv(text, onRow, true) : this.splitText(text, onRow, true);
  }

  private splitText(text: string, onRow: (fields: (string | null)[]) => void, final: boolean): string {
    let start = 0;
    const delim = this.options.delimiter;
    const nullText = this.options.null;
    for (;;) {
      let nl = text.indexOf('\n', start);
      if (nl === -1) {
        if (!final || start >= text.length) return text.slice(start);
        nl = text.length;
      }
      let line = text.slice(start, nl);
      start = nl + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.lineNumber++;
      if (line === '\\.') {
        this.ended = true;
        return '';
      }
      if (!this.headerSkipped) {
        this.headerSkipped = true;
        continue;
      }
      if (line.indexOf('\\') === -1) {
        const parts = line.split(delim);
        const fields: (string | null)[] = parts;
        for (let i = 0; i < parts.length; i++) if (parts[i] === nullText) fields[i] = null;
        onRow(fields);
      } else onRow(splitEscapedLine(line, delim, nullText));
      if (start >= text.length) return '';
    }
  }

  private splitCsv(text: string, onRow: (fields: (string | null)[]) => void, final: boolean): string {
    const { delimiter, quote, escape, null: nullText } = this.options;
    let pos = 0;
    while (pos < text.length) {
      const fields: (string | null)[] = [];
      let field = '';
      let quoted = false;
      let wasQuoted = false;
      let i = pos;
      let complete = false;
      while (i < text.length) {
        const ch = text[i];
        if (quoted) {
          if (ch === escape && escape !== quote && text[i + 1] === quote) {
            field += quote;
            i += 2;
            continue;
          }
          if (ch === quote) {
            if (text[i + 1] === quote && escape === quote) {
              field += quote;
              i += 2;
              continue;
            }
            if (i + 1 >= text.length && !final) break;
            quoted = false;
            i++;
            continue;
          }
          field += ch;
          i++;
          continue;
        }
        if (ch === quote) {
          quoted = true;
          wasQuoted = true;
          i++;
          continue;
        }
        if (ch === delimiter) {
          fields.push(!wasQuoted && field === nullText ? null : field);
          field = '';
          wasQuoted = false;
          i++;
          continue;
        }
        if (ch === '\n' || ch === '\r') {
          fields.push(!wasQuoted && field === nullText ? null : field);
          i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
          complete = true;
          break;
        }
        field += ch;
        i++;
      }
      if (!complete) {
        if (!final) return text.slice(pos);
        if (quoted) throw new SqlError(SqlState.badCopyFileFormat, 'unterminated CSV quoted field');
        fields.push(!wasQuoted && field === nullText ? null : field);
        i = text.length;
      }
      pos = i;
      this.lineNumber++;
      if (fields.length === 1 && fields[0] === '\\.') {
        this.ended = true;
        return '';
      }
      if (!this.headerSkipped) {
        this.headerSkipped = true;
        continue;
      }
      onRow(fields);
    }
    return '';
  }
}

/** One text-format field (no unescaped delimiter in it, not the NULL marker) with its escapes decoded. */
export function unescapeCopyField(raw: string, delim: string): string {
  return splitEscapedLine(raw, delim, '\u0000')[0] ?? '';
}

/** Text-format line with backslash escapes: \N is NULL only as a whole field. */
function splitEscapedLine(line: string, delim: string, nullText: string): (string | null)[] {
  const out: (string | null)[] = [];
  let field = '';
  let raw = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === delim) {
      out.push(raw === nullText ? null : field);
      field = '';
      raw = '';
      continue;
    }
    if (ch !== '\\' || i + 1 >= line.length) {
      field += ch;
      raw += ch;
      continue;
    }
    const next = line[++i];
    raw += '\\' + next;
    switch (next) {
      case 'b': field += '\b'; break;
      case 'f': field += '\f'; break;
      case 'n': field += '\n'; break;
      case 'r': field += '\r'; break;
      case 't': field += '\t'; break;
      case 'v': field += '\v'; break;
      case 'x': {
        const m = /^[0-9a-fA-F]{1,2}/.exec(line.slice(i + 1));
        if (m === null) field += 'x';
        else {
          field += String.fromCharCode(parseInt(m[0], 16));
          raw += m[0];
          i += m[0].length;
        }
        break;
      }
      default:
        if (next >= '0' && next <= '7') {
          const m = /^[0-7]{1,3}/.exec(line.slice(i))!;
          field += String.fromCharCode(parseInt(m[0], 8));
          raw += m[0].slice(1);
          i += m[0].length - 1;
        } else field += next;
    }
  }
  out.push(raw === nullText ? null : field);
  return out;
}

/** One value in COPY text format: backslash escapes for the special characters. */
export function escapeCopyText(value: string, delimiter: string): string {
  let needs = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 92 || c < 32 || value[i] === delimiter) {
      needs = true;
      break;
    }
  }
  if (!needs) return value;
  let out = '';
  for (const ch of value) {
    switch (ch) {
      case '\\': out += '\\\\'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      case '\b': out += '\\b'; break;
      case '\f': out += '\\f'; break;
      case '\v': out += '\\v'; break;
      default: out += ch === delimiter ? '\\' + ch : ch;
    }
  }
  return out;
}

/** One value in CSV: quoted when it holds the delimiter, quote, newline, or equals the NULL string. */
export function escapeCsv(value: string, options: CopyOptions): string {
  const { delimiter, quote, escape } = options;
  const needs = value === options.null || value.includes(delimiter) || value.includes(quote) || value.includes('\n') || value.includes('\r') || value.startsWith('\\.');
  if (!needs) return value;
  return quote + value.split(quote).join(escape + quote) + quote;
}
