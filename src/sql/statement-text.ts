// Scanning a statement's source text (libpg-query gives where an expression starts, not where it ends).

/**
 * The index of the first top-level ')' at or after `from` — or of a top-level ',' too when
 * `stopAtComma` — skipping quoted text and nested parentheses; text.length when there is none.
 */
export function topLevelEnd(text: string, from: number, stopAtComma: boolean): number {
  let depth = 0;
  let quote = '';
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (quote !== '') {
      if (ch === quote) quote = '';
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') {
      if (depth === 0) return i;
      depth--;
    } else if (stopAtComma && ch === ',' && depth === 0) return i;
  }
  return text.length;
}
