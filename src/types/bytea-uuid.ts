// bytea and uuid values. Both live as strings in StringVectors so hashing, sorting, GROUP BY and
// joins reuse the string machinery:
//  - bytea as a "byte string": one UTF-16 code unit (0..255) per byte, so code-unit order is
//    PostgreSQL's byte order (memcmp, then length);
//  - uuid in its canonical lowercase text, whose order is the order of its 16 bytes.
import { SqlError, SqlState } from './sql-error';

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** bytea text input: hex format ('\x0aff', whitespace allowed between bytes) or escape format. */
export function parseBytea(text: string): string {
  if (text.startsWith('\\x')) {
    const out: number[] = [];
    let i = 2;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) {
        i++;
        continue;
      }
      const hi = hexDigit(c);
      if (hi < 0) throw new SqlError(SqlState.invalidParameterValue, `invalid hexadecimal digit: "${text[i]}"`);
      if (i + 1 >= text.length) throw new SqlError(SqlState.invalidParameterValue, 'invalid hexadecimal data: odd number of digits');
      const lo = hexDigit(text.charCodeAt(i + 1));
      if (lo < 0) throw new SqlError(SqlState.invalidParameterValue, `invalid hexadecimal digit: "${text[i + 1]}"`);
      out.push(hi * 16 + lo);
      i += 2;
    }
    return Buffer.from(out).toString('latin1');
  }
  // Escape format: '\\' is a backslash, '\ooo' an octal byte, anything else its UTF-8 bytes.
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '\\') continue;
    out += Buffer.from(text.slice(from, i), 'utf8').toString('latin1');
    if (text[i + 1] === '\\') {
      out += '\\';
      i += 1;
    } else if (/^[0-3][0-7][0-7]$/.test(text.slice(i + 1, i + 4))) {
      out += String.fromCharCode(parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    } else throw new SqlError(SqlState.invalidTextRepresentation, 'invalid input syntax for type bytea');
    from = i + 1;
  }
  return out + Buffer.from(text.slice(from), 'utf8').toString('latin1');
}

/** bytea output with bytea_output = hex (PostgreSQL's default). */
export function formatBytea(bytes: string): string {
  return '\\x' + Buffer.from(bytes, 'latin1').toString('hex');
}

export function byteaToBuffer(bytes: string): Buffer {
  return Buffer.from(bytes, 'latin1');
}
export function byteaFromBuffer(b: Buffer): string {
  return b.toString('latin1');
}

/**
 * uuid text input as PostgreSQL accepts it: 32 hex digits, optionally in braces, with an optional
 * hyphen after any group of four digits; output is lowercase 8-4-4-4-12.
 */
export function parseUuid(text: string): string {
  let s = text;
  const braces = s.startsWith('{');
  if (braces) s = s.slice(1);
  let hex = '';
  let i = 0;
  for (let k = 0; k < 16; k++) {
    if (hexDigit(s.charCodeAt(i)) < 0 || hexDigit(s.charCodeAt(i + 1)) < 0) throw invalidUuid(text);
    hex += s.slice(i, i + 2);
    i += 2;
    if (s[i] === '-' && k % 2 === 1 && k < 15) i++;
  }
  if (braces) {
    if (s[i] !== '}') throw invalidUuid(text);
    i++;
  }
  if (i !== s.length) throw invalidUuid(text);
  return uuidFromHex(hex.toLowerCase());
}

function invalidUuid(text: string): SqlError {
  return new SqlError(SqlState.invalidTextRepresentation, `invalid input syntax for type uuid: "${text}"`);
}

function uuidFromHex(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The 16 bytes of a canonical uuid string (binary send). */
export function uuidToBuffer(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}
export function uuidFromBuffer(b: Buffer): string {
  return uuidFromHex(b.toString('hex'));
}

/** encode(bytea, format): 'hex', 'base64' (lines of 76 characters, as PostgreSQL) or 'escape'. */
export function encodeBytea(bytes: string, format: string): string {
  const b = Buffer.from(bytes, 'latin1');
  switch (format.toLowerCase()) {
    case 'hex':
      return b.toString('hex');
    case 'base64':
      return (b.toString('base64').match(/.{1,76}/g) ?? []).join('\n');
    case 'escape': {
      // Only NUL, high-bit bytes and backslash are escaped (PostgreSQL's esc_enc).
      let out = '';
      for (const x of b) {
        if (x === 0 || x >= 0x80) out += '\\' + x.toString(8).padStart(3, '0');
        else if (x === 92) out += '\\\\';
        else out += String.fromCharCode(x);
      }
      return out;
    }
    default:
      throw new SqlError(SqlState.invalidParameterValue, `unrecognized encoding: "${format}"`);
  }
}

/** decode(text, format): the inverse of encodeBytea. */
export function decodeBytea(text: string, format: string): string {
  switch (format.toLowerCase()) {
    case 'hex':
      return parseBytea('\\x' + text);
    case 'base64': {
      const s = text.replace(/[ \t\n\r]/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) {
        const bad = /[^A-Za-z0-9+/=]/.exec(s);
        if (bad !== null) throw new SqlError(SqlState.invalidParameterValue, `invalid symbol "${bad[0]}" found while decoding base64 sequence`);
        throw new SqlError(SqlState.invalidParameterValue, 'unexpected "=" while decoding base64 sequence');
      }
      if (s.length % 4 !== 0)
        throw new SqlError(SqlState.invalidParameterValue, 'invalid base64 end sequence', { hint: 'Input data is missing padding, is truncated, or is otherwise corrupted.' });
      return Buffer.from(s, 'base64').toString('latin1');
    }
    case 'escape':
      // Escape format only: a leading \x is not hex here but a bad escape, as in PostgreSQL.
      if (text.startsWith('\\x')) throw new SqlError(SqlState.invalidTextRepresentation, 'invalid input syntax for type bytea');
      return parseBytea(text);
    default:
      throw new SqlError(SqlState.invalidParameterValue, `unrecognized encoding: "${format}"`);
  }
}
