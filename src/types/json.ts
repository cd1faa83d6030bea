// json and jsonb values. Both live as strings in StringVectors: json keeps its input text exactly
// (PostgreSQL stores json as text), jsonb keeps PostgreSQL 15's normalized output text (keys unique
// and ordered by length then bytes, ", " and ": " separators, numbers as numeric prints them),
// so equal jsonb values have equal strings and equality, hashing and GROUP BY work on the text.
import { SqlError, SqlState } from './sql-error';
import { decimalToString, parseDecimal } from './numeric';

/** A parsed JSON value; `start`/`end` delimit its text in the source, for json's `->` slices. */
type JsonNode =
  | { t: 'object'; keys: string[]; values: JsonNode[]; start: number; end: number }
  | { t: 'array'; items: JsonNode[]; start: number; end: number }
  | { t: 'string'; value: string; start: number; end: number }
  | { t: 'number'; text: string; start: number; end: number }
  | { t: 'literal'; text: 'true' | 'false' | 'null'; start: number; end: number };

function syntaxError(detail: string, text: string): SqlError {
  return new SqlError(SqlState.invalidTextRepresentation, 'invalid input syntax for type json', { detail });
}

/** Recursive-descent parser of RFC 8259 JSON with PostgreSQL's error details. */
class JsonParser {
  pos = 0;
  constructor(
    private readonly src: string,
    private readonly jsonb: boolean,
  ) {}

  parseDocument(): JsonNode {
    const v = this.value();
    this.skipSpace();
    if (this.pos < this.src.length) throw syntaxError(`Expected end of input, but found "${this.token()}".`, this.src);
    return v;
  }

  private skipSpace(): void {
    const s = this.src;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.pos++;
      else break;
    }
  }

  /** The token at pos, for error details (PostgreSQL reports the offending token). */
  private token(): string {
    const m = /^("(?:[^"\\]|\\.)*"?|[A-Za-z0-9_.+-]+|.)/s.exec(this.src.slice(this.pos));
    return m === null ? '' : m[1];
  }

  private value(): JsonNode {
    this.skipSpace();
    const s = this.src;
    if (this.pos >= s.length) throw syntaxError('The input string ended unexpectedly.', s);
    const c = s[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') {
      const start = this.pos;
      const value = this.string();
      return { t: 'string', value, start, end: this.pos };
    }
    const start = this.pos;
    const word = /^[A-Za-z0-9_.+-]+/.exec(s.slice(this.pos));
    if (word === null) throw syntaxError(`Expected JSON value, but found "${this.token()}".`, s);
    const w = word[0];
    if (w === 'true' || w === 'false' || w === 'null') {
      this.pos += w.length;
      return { t: 'literal', text: w, start, end: this.pos };
    }
    if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(w)) throw syntaxError(`Token "${w}" is invalid.`, s);
    this.pos += w.length;
    return { t: 'number', text: w, start, end: this.pos };
  }

  private object(): JsonNode {
    const start = this.pos++;
    const keys: string[] = [];
    const values: JsonNode[] = [];
    this.skipSpace();
    if (this.src[this.pos] === '}') {
      this.pos++;
      return { t: 'object', keys, values, start, end: this.pos };
    }
    for (;;) {
      this.skipSpace();
      if (this.src[this.pos] !== '"') {
        if (this.pos >= this.src.length) throw syntaxError('The input string ended unexpectedly.', this.src);
        throw syntaxError(`Expected string, but found "${this.token()}".`, this.src);
      }
      keys.push(this.string());
      this.skipSpace();
      if (this.src[this.pos] !== ':') {
        if (this.pos >= this.src.length) throw syntaxError('The input string ended unexpectedly.', this.src);
        throw syntaxError(`Expected ":", but found "${this.token()}".`, this.src);
      }
      this.pos++;
      values.push(this.value());
      this.skipSpace();
      const c = this.src[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') {
        this.pos++;
        return { t: 'object', keys, values, start, end: this.pos };
      }
      if (this.pos >= this.src.length) throw syntaxError('The input string ended unexpectedly.', this.src);
      throw syntaxError(`Expected "," or "}", but found "${this.token()}".`, this.src);
    }
  }

  private array(): JsonNode {
    const start = this.pos++;
    const items: JsonNode[] = [];
    this.skipSpace();
    if (this.src[this.pos] === ']') {
      this.pos++;
      return { t: 'array', items, start, end: this.pos };
    }
    for (;;) {
      items.push(this.value());
      this.skipSpace();
      const c = this.src[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return { t: 'array', items, start, end: this.pos };
      }
      if (this.pos >= this.src.length) throw syntaxError('The input string ended unexpectedly.', this.src);
      throw syntaxError(`Expected "," or "]", but found "${this.token()}".`, this.src);
    }
  }

  /** A string token at pos (on '"'), unescaped. */
  private string(): string {
    const s = this.src;
    this.pos++;
    let out = '';
    let from = this.pos;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 34) {
        out += s.slice(from, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) throw syntaxError(`Character with value 0x${c.toString(16).padStart(2, '0')} must be escaped.`, s);
      if (c !== 92) {
        this.pos++;
        continue;
      }
      out += s.slice(from, this.pos);
      const e = s[this.pos + 1];
      switch (e) {
        case '"': case '\\': case '/': out += e; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const hex = s.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw syntaxError('"\\u" must be followed by four hexadecimal digits.', s);
          const code = parseInt(hex, 16);
          if (code === 0 && this.jsonb)
            throw new SqlError(SqlState.untranslatableCharacter, 'unsupported Unicode escape sequence', { detail: '\\u0000 cannot be converted to text.' });
          out += String.fromCharCode(code);
          this.pos += 4;
          break;
        }
        case undefined:
          throw syntaxError('The input string ended unexpectedly.', s);
        default:
          throw syntaxError(`Escape sequence "\\${e}" is invalid.`, s);
      }
      this.pos += 2;
      from = this.pos;
    }
    throw syntaxError('The input string ended unexpectedly.', s);
  }
}

function parseJson(text: string, jsonb: boolean): JsonNode {
  return new JsonParser(text, jsonb).parseDocument();
}

/** json input: the text is kept as written once it is valid JSON. */
export function jsonIn(text: string): string {
  parseJson(text, false);
  return text;
}

/** jsonb input: PostgreSQL's normalized text of the value. */
export function jsonbIn(text: string): string {
  return jsonbText(parseJson(text, true));
}

/** escape_json(): how PostgreSQL quotes a string in JSON output. */
export function quoteJson(s: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 34 && c !== 92) continue;
    out += s.slice(from, i);
    from = i + 1;
    switch (c) {
      case 34: out += '\\"'; break;
      case 92: out += '\\\\'; break;
      case 8: out += '\\b'; break;
      case 12: out += '\\f'; break;
      case 10: out += '\\n'; break;
      case 13: out += '\\r'; break;
      case 9: out += '\\t'; break;
      default: out += '\\u' + c.toString(16).padStart(4, '0');
    }
  }
  return out + s.slice(from) + '"';
}

/** jsonb key order: shorter keys first, then by UTF-8 bytes (PostgreSQL's lengthCompareJsonbString). */
function compareKeys(a: string, b: string): number {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ba.length !== bb.length ? ba.length - bb.length : Buffer.compare(ba, bb);
}

function jsonbText(n: JsonNode): string {
  switch (n.t) {
    case 'literal':
      return n.text;
    case 'number':
      return decimalToString(parseDecimal(n.text)!);
    case 'string':
      return quoteJson(n.value);
    case 'array':
      return '[' + n.items.map(jsonbText).join(', ') + ']';
    case 'object': {
      // Duplicate keys: the last one wins.
      const byKey = new Map<string, JsonNode>();
      for (let i = 0; i < n.keys.length; i++) byKey.set(n.keys[i], n.values[i]);
      const keys = [...byKey.keys()].sort(compareKeys);
      return '{' + keys.map((k) => quoteJson(k) + ': ' + jsonbText(byKey.get(k)!)).join(', ') + '}';
    }
  }
}

/**
 * `doc -> key` (asText false) and `doc ->> key` (asText true): an object field by text key or an
 * array element by integer index (negative counts from the end); NULL when absent or of the wrong
 * kind. `->` gives the element's own text (for jsonb that text is already normalized); `->>` gives a
 * string's value unquoted and JSON null as SQL NULL.
 */
export function jsonGet(doc: string, jsonb: boolean, key: string | number, asText: boolean): string | null {
  const root = parseJson(doc, jsonb);
  let found: JsonNode | undefined;
  if (typeof key === 'string') {
    if (root.t !== 'object') return null;
    // json may hold duplicate keys: PostgreSQL's json operators return the last one.
    for (let i = root.keys.length - 1; i >= 0; i--)
      if (root.keys[i] === key) {
        found = root.values[i];
        break;
      }
  } else if (jsonb && root.t !== 'array' && root.t !== 'object') {
    // jsonb keeps a scalar as a one-element "raw scalar" array, so index 0 (or -1) reaches it.
    found = key === 0 || key === -1 ? root : undefined;
  } else {
    if (root.t !== 'array') return null;
    const i = key < 0 ? root.items.length + key : key;
    found = root.items[i];
  }
  if (found === undefined) return null;
  if (!asText) return doc.slice(found.start, found.end);
  if (found.t === 'string') return found.value;
  if (found.t === 'literal' && found.text === 'null') return null;
  return doc.slice(found.start, found.end);
}
