// Operations on arrays in their text form '{a,b}' (Tessera keeps arrays as text).

/** array || array: the elements of both, in order; a NULL side yields the other side (PostgreSQL's array_cat). */
export function arrayCat(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  const inner = (x: string) => x.trim().slice(1, -1).trim();
  const parts = [inner(a), inner(b)].filter((x) => x !== '');
  return `{${parts.join(',')}}`;
}
