// Memory sizes as settings write them: '256MB', '64kB', '8192' (a bare number is in `bareUnit` bytes).
const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };

/** Bytes, or null when the text is not a size. */
export function memoryBytes(text: string, bareUnit = 1): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?\s*$/i.exec(text);
  if (m === null) return null;
  return Math.round(Number(m[1]) * (m[2] === undefined ? bareUnit : UNITS[m[2].toLowerCase()]));
}
