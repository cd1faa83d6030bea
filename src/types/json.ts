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

function syntaxError(detail: string): SqlError {
  return new SqlError(SqlState.invalidTextRepresentation, 'invalid input syntax for type json', { detail });
}

/** Recursive-descent parser of RFC 8259 JSON with PostgreSQL's error details. */
/** Nesting deeper than this is refused (PostgreSQL stops at its stack depth limit, 54001). */
const MAX_DEPTH = 2000;

class JsonParser {
  pos = 0;
  private depth = 0;
  constructor(
    private readonly src: string,
    private readonly jsonb: boolean,
  ) {}

  parseDocument(): JsonNode {
    const v = this.value();
    this.skipSpace();
    if (this.pos < this.src.length) throw syntaxError(`Expected end of input, but found "${this.token()}".`);
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
    if (this.pos >= s.length) throw syntaxError('The input string ended unexpectedly.');
    const c = s[this.pos];
    if (c === '{' || c === '[') {
      if (++this.depth > MAX_DEPTH)
        throw new SqlError(SqlState.stackDepthLimitExceeded, 'stack depth limit exceeded', { hint: 'JSON nesting is too deep.' });
      const node = c === '{' ? this.object() : this.array();
      this.depth--;
      return node;
    }
    if (c === '"') {
      const start = this.pos;
      const value = this.string();
      return { t: 'string', value, start, end: this.pos };
    }
    const start = this.pos;
    const word = /^[A-Za-z0-9_.+-]+/.exec(s.slice(this.pos));
    if (word === null) throw syntaxError(`Expected JSON value, but found "${this.token()}".`);
    const w = word[0];
    if (w === 'true' || w === 'false' || w === 'null') {
      this.pos += w.length;
      return { t: 'literal', text: w, start, end: this.pos };
    }
    const num = /^-?(0|[1-9]\d*)(\.\d+)?(?:[eE]([+-]?\d+))?$/.exec(w);
    if (num === null) throw syntaxError(`Token "${w}" is invalid.`);
    // numeric's range (PostgreSQL: 131072 digits before the point, 16383 after).
    if (this.jsonb && num[3] !== undefined && Math.abs(Number(num[3])) > 140000)
      throw new SqlError(SqlState.numericValueOutOfRange, 'value overflows numeric format');
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
        if (this.pos >= this.src.length) throw syntaxError('The input string ended unexpectedly.');
        throw syntaxError(`Expected string, but found "${this.token()}".`);
      }
      keys.push(this.string());
      this.skipSpace();
      if (this.src[this.pos] !== ':') {
        if (this.pos >= this.src.length) throw syntaxError('The input string ended unexpectedly.');
        throw syntaxError(`Expected ":", but found "${this.token()}".`);
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
      if (this.pos >= this.src.length) throw syntaxError('The input string ended unexpectedly.');
      throw syntaxError(`Expected "," or "}", but found "${this.token()}".`);
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
      if (this.pos >= this.src.length) throw syntaxError('The input string ended unexpectedly.');
      throw syntaxError(`Expected "," or "]", but found "${this.token()}".`);
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
      if (c < 0x20) throw syntaxError(`Character with value 0x${c.toString(16).padStart(2, '0')} must be escaped.`);
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
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw syntaxError('"\\u" must be followed by four hexadecimal digits.');
          const code = parseInt(hex, 16);
          if (code === 0 && this.jsonb)
            throw new SqlError(SqlState.untranslatableCharacter, 'unsupported Unicode escape sequence', { detail: '\\u0000 cannot be converted to text.' });
          out += String.fromCharCode(code);
          this.pos += 4;
          break;
        }
        case undefined:
          throw syntaxError('The input string ended unexpectedly.');
        default:
          throw syntaxError(`Escape sequence "\\${e}" is invalid.`);
      }
      this.pos += 2;
      from = this.pos;
    }
    throw syntaxError('The input string ended unexpectedly.');
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

// ---- jsonb ordering ----
// PostgreSQL orders jsonb values (compareJsonbContainers): object > array > boolean > number > string
// > null; containers first by element/pair count; a scalar is a one-element "raw scalar" array that
// sorts before a real one-element array (so '[]' < any scalar < '[x]'); numbers numerically (1.0 = 1);
// strings and keys by bytes (C collation); pairs in storage order. jsonbOrderKey() encodes a value
// as a string whose code-point order and equality are exactly that order, so sorting, comparison,
// DISTINCT and GROUP BY run on the keys with the ordinary string machinery.

const COUNT_WIDTH = 10;
const EXP_BIAS = 500000;

function countKey(n: number): string {
  return String(n).padStart(COUNT_WIDTH, '0');
}

/** Self-delimiting, order-preserving: \0 and \1 escaped, \0 terminates (so a prefix sorts first). */
function stringKey(s: string): string {
  return s.replace(/[\u0000\u0001]/g, (c) => (c === '\u0000' ? '\u0001\u0001' : '\u0001\u0002')) + '\u0000';
}

/** Numbers: sign class, then exponent and significant digits (inverted for negatives). */
function numberKey(text: string): string {
  const d = parseDecimal(text)!;
  if (d.digits === 0n) return '1';
  const neg = d.digits < 0n;
  const all = (neg ? -d.digits : d.digits).toString();
  const exp = all.length - d.scale;
  const digits = all.replace(/0+$/, '');
  if (!neg) return '2' + String(EXP_BIAS + exp).padStart(7, '0') + digits + '!';
  let inverted = '';
  for (let i = 0; i < digits.length; i++) inverted += String(9 - (digits.charCodeAt(i) - 48));
  return '0' + String(EXP_BIAS - exp).padStart(7, '0') + inverted + '~';
}

// Type tags in PostgreSQL's jbvType order: null < string < numeric < bool < array < object.
function nodeKey(n: JsonNode): string {
  switch (n.t) {
    case 'literal':
      return n.text === 'null' ? '1' : n.text === 'false' ? '40' : '41';
    case 'string':
      return '2' + stringKey(n.value);
    case 'number':
      return '3' + numberKey(n.text);
    case 'array':
      return '5' + countKey(n.items.length) + '1' + n.items.map(nodeKey).join('');
    case 'object': {
      const byKey = new Map<string, JsonNode>();
      for (let i = 0; i < n.keys.length; i++) byKey.set(n.keys[i], n.values[i]);
      const keys = [...byKey.keys()].sort(compareKeys);
      return '6' + countKey(keys.length) + keys.map((k) => stringKey(k) + nodeKey(byKey.get(k)!)).join('');
    }
  }
}

/** The order/equality key of a jsonb value's text (see above). */
export function jsonbOrderKey(text: string): string {
  const root = parseJson(text, true);
  if (root.t === 'array' || root.t === 'object') return nodeKey(root);
  // A top-level scalar: a raw-scalar array of one element ('0' sorts it before a real array).
  return '5' + countKey(1) + '0' + nodeKey(root);
}

// ---- more jsonb/json functions and operators ----

/** json(b)_typeof: object, array, string, number, boolean or null. */
export function jsonTypeof(doc: string, jsonb: boolean): string {
  const n = parseJson(doc, jsonb);
  if (n.t === 'literal') return n.text === 'null' ? 'null' : 'boolean';
  return n.t;
}

/** json(b)_array_length, with PostgreSQL's errors for objects and scalars. */
export function jsonArrayLength(doc: string, jsonb: boolean): number {
  const n = parseJson(doc, jsonb);
  if (n.t === 'array') return n.items.length;
  throw new SqlError(SqlState.invalidParameterValue, n.t === 'object' ? 'cannot get array length of a non-array' : 'cannot get array length of a scalar');
}

/** jsonb ? key: a top-level object key, or a string element of a top-level array (or the scalar string itself). */
export function jsonbExists(doc: string, key: string): boolean {
  const n = parseJson(doc, true);
  if (n.t === 'object') return n.keys.includes(key);
  if (n.t === 'array') return n.items.some((x) => x.t === 'string' && x.value === key);
  return n.t === 'string' && n.value === key;
}

function scalarEquals(a: JsonNode, b: JsonNode): boolean {
  if (a.t !== b.t) return false;
  if (a.t === 'string') return a.value === (b as typeof a).value;
  if (a.t === 'number') return numberKey(a.text) === numberKey((b as typeof a).text);
  if (a.t === 'literal') return a.text === (b as typeof a).text;
  return false;
}

/** PostgreSQL's JsonbDeepContains: does `a` contain `b`? */
function contains(a: JsonNode, b: JsonNode): boolean {
  if (a.t === 'object') {
    if (b.t !== 'object') return false;
    const fields = new Map<string, JsonNode>();
    for (let i = 0; i < a.keys.length; i++) fields.set(a.keys[i], a.values[i]);
    for (let i = 0; i < b.keys.length; i++) {
      const v = fields.get(b.keys[i]);
      if (v === undefined) return false;
      const w = b.values[i];
      if (v.t === 'object' || v.t === 'array' || w.t === 'object' || w.t === 'array') {
        if (v.t !== w.t || !contains(v, w)) return false;
      } else if (!scalarEquals(v, w)) return false;
    }
    return true;
  }
  if (a.t === 'array') {
    if (b.t !== 'array') return false;
    for (const w of b.items) {
      const found =
        w.t === 'object' || w.t === 'array' ? a.items.some((v) => v.t === w.t && contains(v, w)) : a.items.some((v) => scalarEquals(v, w));
      if (!found) return false;
    }
    return true;
  }
  return scalarEquals(a, b);
}

/** jsonb @> jsonb. Scalars are one-element "raw scalar" arrays: '[1,2]' @> '1', but not '"a"' @> '["a"]'. */
export function jsonbContains(a: string, b: string): boolean {
  const x = parseJson(a, true);
  const y = parseJson(b, true);
  const xs = x.t !== 'array' && x.t !== 'object';
  const ys = y.t !== 'array' && y.t !== 'object';
  if (xs && !ys) return false;
  if (ys && x.t === 'array') return x.items.some((v) => scalarEquals(v, y));
  if ((x.t === 'object') !== (y.t === 'object')) return false;
  return contains(x, y);
}

const SPAN = { start: 0, end: 0 };

/** jsonb || jsonb: objects merge (the right side's keys win), otherwise arrays concatenate (a scalar or object being one element). */
export function jsonbConcat(a: string, b: string): string {
  const x = parseJson(a, true);
  const y = parseJson(b, true);
  if (x.t === 'object' && y.t === 'object') {
    const merged = new Map<string, JsonNode>();
    for (let i = 0; i < x.keys.length; i++) merged.set(x.keys[i], x.values[i]);
    for (let i = 0; i < y.keys.length; i++) merged.set(y.keys[i], y.values[i]);
    return jsonbText({ t: 'object', keys: [...merged.keys()], values: [...merged.values()], ...SPAN });
  }
  const items = (n: JsonNode): JsonNode[] => (n.t === 'array' ? n.items : [n]);
  return jsonbText({ t: 'array', items: [...items(x), ...items(y)], ...SPAN });
}

/** jsonb - text (an object key, or matching string elements of an array) and jsonb - int (an array element). */
export function jsonbDelete(doc: string, key: string | number): string {
  const n = parseJson(doc, true);
  if (n.t !== 'object' && n.t !== 'array') throw new SqlError(SqlState.invalidParameterValue, 'cannot delete from scalar');
  if (typeof key === 'number') {
    if (n.t === 'object') throw new SqlError(SqlState.invalidParameterValue, 'cannot delete from object using integer index');
    const i = key < 0 ? n.items.length + key : key;
    return jsonbText({ t: 'array', items: n.items.filter((_, k) => k !== i), ...SPAN });
  }
  if (n.t === 'object') {
    const keep = n.keys.map((k, i) => [k, n.values[i]] as const).filter(([k]) => k !== key);
    return jsonbText({ t: 'object', keys: keep.map(([k]) => k), values: keep.map(([, v]) => v), ...SPAN });
  }
  return jsonbText({ t: 'array', items: n.items.filter((x) => !(x.t === 'string' && x.value === key)), ...SPAN });
}
