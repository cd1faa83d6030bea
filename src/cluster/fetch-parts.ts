// How chunk fetches (chunk-transfer.ts) are cut into requests. An answer is one interconnect frame,
// built whole in memory on the holder and received whole on the asker, so a request is bounded by the
// bytes it asks for, not only by its number of keys: 32 chunks of a TPC-H SF 10 text column weigh
// ~100 MiB, where 32 integer chunks weigh a few hundred KiB. The byte length comes from the chunk's
// marker (storage/chunk-marker.ts); a marker of an older store does not say, and counts as nothing.

/** Keys per request. */
export const REQUEST_KEYS = 32;
/** Chunk bytes per request, as the markers name them (a chunk larger than this goes alone). */
export const REQUEST_BYTES = 8 * 1024 * 1024;
/** Requests in flight per holder. */
export const REQUESTS_IN_FLIGHT = 4;

/** `keys` in order, cut into requests of at most REQUEST_KEYS keys and REQUEST_BYTES bytes (`lengthOf`: null when unknown). */
export function requestParts(keys: readonly string[], lengthOf: (key: string) => number | null): string[][] {
  const parts: string[][] = [];
  let part: string[] = [];
  let bytes = 0;
  for (const k of keys) {
    const length = lengthOf(k) ?? 0;
    if (part.length > 0 && (part.length === REQUEST_KEYS || bytes + length > REQUEST_BYTES)) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(k);
    bytes += length;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/** Runs `each` over `parts` with at most REQUESTS_IN_FLIGHT running at once; rejects with the first failure. */
export async function inFlight<T>(parts: readonly T[], each: (part: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < parts.length) await each(parts[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(REQUESTS_IN_FLIGHT, parts.length) }, lane));
}
