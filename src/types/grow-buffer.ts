// Growth of the append-only byte buffers (wire messages, COPY BINARY rows, chunk encodings).

/** `buf` when `extra` more bytes fit after `used`; else a copy of its first `used` bytes with room, doubled. */
export function grownBuffer<B extends Buffer>(buf: B, used: number, extra: number): B {
  if (used + extra <= buf.length) return buf;
  let cap = Math.max(buf.length * 2, 16);
  while (cap < used + extra) cap *= 2;
  const b = Buffer.allocUnsafe(cap);
  buf.copy(b, 0, 0, used);
  return b as B;
}
