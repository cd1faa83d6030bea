// to_char(number, format) for the common numeric templates: 9 and 0 digit positions, . or D,
// , or G (C locale), FM, S, MI and PR. The value is rounded half away from zero to the template's
// fraction digits; a value too wide for the template prints '#' in every digit position. Without
// an explicit sign a sign position precedes the number, as in PostgreSQL.
import { Decimal } from './vector';
import { decimalRound } from './numeric';
import { SqlError, SqlState } from './sql-error';

interface NumberTemplate {
  fm: boolean;
  /** Integer-part items left to right: 'd' digit slot, 'z' zero slot, ',' separator. */
  intItems: string[];
  /** Fraction slots: '9' or '0'. */
  fracSlots: string[];
  point: boolean;
  sign: 'none' | 'S-start' | 'S-end' | 'MI' | 'PR';
}

const templates = new Map<string, NumberTemplate>();

function parseTemplate(format: string): NumberTemplate {
  let t = templates.get(format);
  if (t !== undefined) return t;
  t = { fm: false, intItems: [], fracSlots: [], point: false, sign: 'none' };
  const f = format.toUpperCase();
  for (let i = 0; i < f.length; ) {
    const two = f.substr(i, 2);
    const c = f.charAt(i);
    if (two === 'FM') {
      t.fm = true;
      i += 2;
    } else if (two === 'MI' || two === 'PR') {
      t.sign = two;
      i += 2;
    } else if (c === 'S') {
      t.sign = t.intItems.length === 0 && !t.point ? 'S-start' : 'S-end';
      i++;
    } else if (c === '9' || c === '0') {
      if (t.point) t.fracSlots.push(c);
      else t.intItems.push(c === '9' ? 'd' : 'z');
      i++;
    } else if (c === '.' || c === 'D') {
      t.point = true;
      i++;
    } else if (c === ',' || c === 'G') {
      if (!t.point) t.intItems.push(',');
      i++;
    } else throw new SqlError(SqlState.featureNotSupported, `to_char number template "${format}" is not supported (9, 0, ., D, ',', G, FM, S, MI, PR are)`);
  }
  templates.set(format, t);
  return t;
}

export function numberToChar(value: Decimal, format: string): string {
  const t = parseTemplate(format);
  const fracCount = t.fracSlots.length;
  const rounded = decimalRound(value, fracCount);
  const negative = rounded.digits < 0n;
  const abs = negative ? -rounded.digits : rounded.digits;
  const text = abs.toString().padStart(fracCount + 1, '0');
  const intStr = text.slice(0, text.length - fracCount).replace(/^0+/, '');
  const fracStr = text.slice(text.length - fracCount);
  const slots = t.intItems.filter((x) => x !== ',').length;
  const overflow = intStr.length > slots;
  const firstZero = t.intItems.filter((x) => x !== ',').findIndex((x) => x === 'z');
  const pad = t.fm ? '' : ' ';
  // Integer part, left to right over the slots.
  let out = '';
  let printed = false;
  let k = 0;
  for (const item of t.intItems) {
    if (item === ',') {
      out += printed ? ',' : pad;
      continue;
    }
    const di = k - (slots - intStr.length);
    let ch: string;
    if (overflow) ch = '#';
    else if (di >= 0) ch = intStr.charAt(di);
    else if (firstZero !== -1 && k >= firstZero) ch = '0';
    else if (k === slots - 1 && intStr === '' && !t.point) ch = '0';
    else ch = '';
    if (ch === '') out += pad;
    else {
      if (!printed) out += '\u0000'; // where a leading sign goes
      printed = true;
      out += ch;
    }
    k++;
  }
  let frac = '';
  if (t.point) {
    let digits = overflow ? '#'.repeat(fracCount) : fracStr;
    if (t.fm && !overflow) {
      let end = fracCount;
      while (end > 0 && t.fracSlots[end - 1] === '9' && digits.charAt(end - 1) === '0') end--;
      digits = digits.slice(0, end);
    }
    frac = (t.fm && fracCount === 0 ? '' : '.') + digits;
    if (!printed) {
      out += '\u0000';
      printed = true;
    }
  }
  if (!out.includes('\u0000')) out += '\u0000';
  const neg = negative && !overflow;
  switch (t.sign) {
    case 'none':
      return out.replace('\u0000', neg ? '-' : t.fm ? '' : ' ') + frac;
    case 'S-start':
      return out.replace('\u0000', neg ? '-' : '+') + frac;
    case 'S-end':
      return out.replace('\u0000', '') + frac + (neg ? '-' : '+');
    case 'MI':
      return out.replace('\u0000', '') + frac + (neg ? '-' : t.fm ? '' : ' ');
    case 'PR':
      return out.replace('\u0000', neg ? '<' : t.fm ? '' : ' ') + frac + (neg ? '>' : t.fm ? '' : ' ');
  }
}
