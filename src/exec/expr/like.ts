// LIKE / ILIKE matching. Patterns made of literal text and % only (the common case) match with
// startsWith / indexOf / endsWith — leftmost-first placement of each %-separated segment is exact
// for such patterns and avoids RegExp backtracking; patterns with _ compile to an anchored RegExp
// (dotAll, unicode: _ is one character). The default escape is '\'; '' disables escaping.
import { SqlError, SqlState } from '../../types/sql-error';

type Token = { kind: 'text'; text: string } | { kind: 'any' } | { kind: 'one' };

function tokenize(pattern: string, escape: string | null): Token[] {
  if (escape !== null && escape !== '' && [...escape].length !== 1)
    throw new SqlError(SqlState.invalidEscapeSequence, 'invalid escape string', { hint: 'Escape string must be empty or one character.' });
  const tokens: Token[] = [];
  const chars = [...pattern];
  let text = '';
  const flush = () => {
    if (text !== '') tokens.push({ kind: 'text', text });
    text = '';
  };
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (escape !== null && escape !== '' && ch === escape) {
      if (i + 1 >= chars.length) throw new SqlError(SqlState.invalidEscapeSequence, 'LIKE pattern must not end with escape character');
      text += chars[++i];
    } else if (ch === '%') {
      flush();
      if (tokens.length === 0 || tokens[tokens.length - 1].kind !== 'any') tokens.push({ kind: 'any' });
    } else if (ch === '_') {
      flush();
      tokens.push({ kind: 'one' });
    } else text += ch;
  }
  flush();
  return tokens;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A matcher for one LIKE pattern (compile once, test per dictionary entry or row). */
export function compileLike(pattern: string, insensitive: boolean, escape: string | null = '\\'): (s: string) => boolean {
  const tokens = tokenize(insensitive ? pattern.toLowerCase() : pattern, escape);
  const fold = insensitive ? (s: string) => s.toLowerCase() : (s: string) => s;
  if (tokens.some((t) => t.kind === 'one')) {
    const src = tokens.map((t) => (t.kind === 'any' ? '.*' : t.kind === 'one' ? '.' : escapeRegex(t.text))).join('');
    const re = new RegExp('^' + src + '$', 'su');
    return (s) => re.test(fold(s));
  }
  // Segments between %s; the first is anchored at the start unless the pattern starts with %, the last at the end.
  const startsAny = tokens.length > 0 && tokens[0].kind === 'any';
  const endsAny = tokens.length > 0 && tokens[tokens.length - 1].kind === 'any';
  const segments = tokens.filter((t): t is { kind: 'text'; text: string } => t.kind === 'text').map((t) => t.text);
  if (!tokens.some((t) => t.kind === 'any')) {
    const exact = segments[0] ?? '';
    return (s) => fold(s) === exact;
  }
  const prefix = startsAny ? '' : segments.shift()!;
  const suffix = endsAny || segments.length === 0 ? '' : segments.pop()!;
  const minLength = prefix.length + suffix.length;
  return (raw) => {
    const s = fold(raw);
    if (s.length < minLength || !s.startsWith(prefix) || !s.endsWith(suffix)) return false;
    let pos = prefix.length;
    const end = s.length - suffix.length;
    for (const seg of segments) {
      const at = s.indexOf(seg, pos);
      if (at === -1 || at + seg.length > end) return false;
      pos = at + seg.length;
    }
    return true;
  };
}
