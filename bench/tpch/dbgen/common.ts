// Column generators shared by several tables (dbgen's bm_utils.c and build.c helpers).
import { Streams } from './random';
import { TEXT_POOL_SIZE } from './text';
import { RowWriter } from './writer';

const ALPHA_NUM = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ,', 'latin1');

/** A comment column of average length `avg`: a pool slice of length in [0.4 avg, 1.6 avg]. */
export class TextColumn {
  readonly min: number;
  readonly max: number;
  constructor(avg: number, readonly stream: number) {
    this.min = Math.trunc(avg * 0.4);
    this.max = Math.trunc(avg * 1.6);
  }

  /** Writes the field and returns its length. */
  write(out: RowWriter, rng: Streams, pool: Uint8Array): number {
    const offset = rng.int(0, TEXT_POOL_SIZE - this.max, this.stream);
    const length = rng.int(this.min, this.max, this.stream);
    out.slice(pool, offset, length);
    return length;
  }
}

/**
 * Random alphanumeric field of length in [0.4 avg, 1.6 avg] (dbgen's a_rnd): each draw supplies five
 * 6-bit characters, low bits first.
 */
export function alphaNumeric(out: RowWriter, rng: Streams, avg: number, stream: number): void {
  const length = rng.int(Math.trunc(avg * 0.4), Math.trunc(avg * 1.6), stream);
  let bits = 0;
  for (let i = 0; i < length; i++) {
    if (i % 5 === 0) bits = rng.wrappedInt(stream);
    out.raw(ALPHA_NUM[bits & 63]);
    bits >>= 6;
  }
  out.raw(0x7c);
}

/** Phone number "CC-AAA-EEE-NNNN" whose country code is 10 + nation key. */
export function phone(out: RowWriter, rng: Streams, nation: number, stream: number): void {
  const area = rng.int(100, 999, stream);
  const exchange = rng.int(100, 999, stream);
  const number = rng.int(1000, 9999, stream);
  out.padded(10 + (nation % 90), 2);
  out.raw(0x2d);
  out.padded(area, 3);
  out.raw(0x2d);
  out.padded(exchange, 3);
  out.raw(0x2d);
  out.padded(number, 4);
  out.raw(0x7c);
}

/** The random streams of the columns customer and supplier have in common. */
export interface PartyStreams {
  address: number;
  nation: number;
  phone: number;
  balance: number;
}

/**
 * The leading columns customer and supplier share (clause 4.2.3): key, name ("Customer#000000042"),
 * address, nation key, phone and account balance, in dbgen's order of random draws.
 */
export function party(out: RowWriter, rng: Streams, key: number, name: Uint8Array, s: PartyStreams): void {
  out.int(key);
  out.bytes(name);
  out.padded(key, 9);
  out.raw(0x7c);
  alphaNumeric(out, rng, 25, s.address);
  const nation = rng.int(0, 24, s.nation);
  out.int(nation);
  phone(out, rng, nation, s.phone);
  out.money(rng.int(-99999, 999999, s.balance));
}

/** Retail price in cents of a part key (clause 4.2.3). */
export function retailPrice(partKey: number): number {
  return 90000 + (Math.floor(partKey / 10) % 20001) + (partKey % 1000) * 100;
}

/** Supplier of a part's n-th supply (clause 4.2.3, PS_SUPPKEY). */
export function partSupplier(partKey: number, n: number, suppliers: number): number {
  return ((partKey + n * (Math.floor(suppliers / 4) + Math.floor((partKey - 1) / suppliers))) % suppliers) + 1;
}

/** Date strings "YYYY-MM-DD" by day number from 1992-01-01, as bytes. */
export const DATES: Uint8Array[] = (() => {
  const out: Uint8Array[] = [];
  for (let day = 0; day < 2557; day++) out.push(Buffer.from(new Date(Date.UTC(1992, 0, 1 + day)).toISOString().slice(0, 10), 'latin1'));
  return out;
})();

export const latin1 = (s: string): Uint8Array => Buffer.from(s, 'latin1');
