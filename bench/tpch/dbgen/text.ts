// Pseudo-text (TPC-H spec clause 4.2.2.10 and 4.2.2.14). The reference generator first writes a
// 300 MiB pool of grammar-built sentences from its own stream, then every comment column is a
// substring of that pool at a random offset with a random length. The pool is built once per process
// into a SharedArrayBuffer so worker threads read the same bytes.
import * as D from './dists';
import { S, Streams, T, nextSeed } from './random';

export const TEXT_POOL_SIZE = 300 * 1024 * 1024;
const SLACK = 1024; // the last sentence may run past the pool's end before it is cut

type Word = D.Dist;

/** A phrase form parsed once: the word list per slot and the punctuation byte after it (0 for none). */
interface Form {
  slots: Word[];
  punct: number[];
}

function parseForms(dist: D.Dist, byLetter: Record<string, Word>): Form[] {
  return dist.words.map((form) => {
    const slots: Word[] = [];
    const punct: number[] = [];
    for (const token of form.split(' ')) {
      slots.push(byLetter[token[0]]);
      punct.push(token.length > 1 ? token.charCodeAt(1) : 0);
    }
    return { slots, punct };
  });
}

const nounForms = parseForms(D.nounPhrases, { A: D.articles, J: D.adjectives, D: D.adverbs, N: D.nouns });
const verbForms = parseForms(D.verbPhrases, { D: D.adverbs, V: D.verbs, X: D.auxiliaries });
const sentenceForms = D.grammar.words.map((w) => w.split(' ').map((t) => t.charCodeAt(0)));
const THE = Buffer.from(' the ', 'latin1');

const MODULUS = 2147483647;

/**
 * A distribution flattened for the pool loop: draw -> member lookup and the members' bytes laid out
 * in one array, so the hot loop touches no objects.
 */
interface Flat {
  total: number;
  lookup: Uint8Array;
  start: Int32Array;
  length: Int32Array;
  bytes: Uint8Array;
}

function flatten(dist: D.Dist): Flat {
  const lookup = new Uint8Array(dist.total + 1);
  let member = 0;
  for (let draw = 1; draw <= dist.total; draw++) {
    while (dist.cumulative[member] < draw) member++;
    lookup[draw] = member;
  }
  const start = new Int32Array(dist.bytes.length);
  const length = new Int32Array(dist.bytes.length);
  let at = 0;
  dist.bytes.forEach((b, i) => {
    start[i] = at;
    length[i] = b.length;
    at += b.length;
  });
  return { total: dist.total, lookup, start, length, bytes: Buffer.concat(dist.bytes) };
}

/**
 * Builds the text pool exactly as dbgen's dbg_text() does on first use (txt_sentence with stream 5).
 * One function with local state and no closures: this loop is the generator's only serial step.
 */
export function buildTextPool(): Uint8Array {
  const pool = new Uint8Array(new SharedArrayBuffer(TEXT_POOL_SIZE + SLACK));
  const flatOf = new Map<D.Dist, Flat>();
  const flat = (d: D.Dist): Flat => flatOf.get(d) ?? (flatOf.set(d, flatten(d)), flatOf.get(d)!);
  const nounFormsFlat = nounForms.map((f) => ({ slots: f.slots.map(flat), punct: f.punct }));
  const verbFormsFlat = verbForms.map((f) => ({ slots: f.slots.map(flat), punct: f.punct }));
  const nounPhraseDist = flat(D.nounPhrases);
  const verbPhraseDist = flat(D.verbPhrases);
  const grammarDist = flat(D.grammar);
  const prepositions = flat(D.prepositions);
  const terminators = flat(D.terminators);
  let seed = new Streams([T.NONE]).seed[S.TEXT_POOL];
  let pos = 0;
  while (pos < TEXT_POOL_SIZE) {
    // One sentence: words separated by single spaces, the terminator abutting the last word.
    seed = nextSeed(seed);
    const form = sentenceForms[grammarDist.lookup[1 + Math.floor((seed / MODULUS) * grammarDist.total)]];
    for (let p = 0; p < form.length; p++) {
      const part = form[p];
      if (part === 0x54 /* T */) {
        pos--; // over the space that ended the previous phrase
        seed = nextSeed(seed);
        const w = terminators.lookup[1 + Math.floor((seed / MODULUS) * terminators.total)];
        for (let i = terminators.start[w], end = i + terminators.length[w]; i < end; i++) pool[pos++] = terminators.bytes[i];
        continue;
      }
      if (part === 0x50 /* P */) {
        seed = nextSeed(seed);
        const w = prepositions.lookup[1 + Math.floor((seed / MODULUS) * prepositions.total)];
        for (let i = prepositions.start[w], end = i + prepositions.length[w]; i < end; i++) pool[pos++] = prepositions.bytes[i];
        for (let i = 0; i < THE.length; i++) pool[pos++] = THE[i];
      }
      // A noun phrase (N, or after a preposition) or a verb phrase (V).
      const phrases = part === 0x56 /* V */ ? verbPhraseDist : nounPhraseDist;
      seed = nextSeed(seed);
      const phrase = (part === 0x56 ? verbFormsFlat : nounFormsFlat)[phrases.lookup[1 + Math.floor((seed / MODULUS) * phrases.total)]];
      for (let slot = 0; slot < phrase.slots.length; slot++) {
        const d = phrase.slots[slot];
        seed = nextSeed(seed);
        const w = d.lookup[1 + Math.floor((seed / MODULUS) * d.total)];
        for (let i = d.start[w], end = i + d.length[w]; i < end; i++) pool[pos++] = d.bytes[i];
        if (phrase.punct[slot] !== 0) pool[pos++] = phrase.punct[slot];
        pool[pos++] = 0x20;
      }
    }
    // A whole sentence plus its separating space fits, or the sentence is cut at the pool's end.
    if (pos + 1 <= TEXT_POOL_SIZE) pool[pos++] = 0x20;
    else pos = TEXT_POOL_SIZE;
  }
  return pool.subarray(0, TEXT_POOL_SIZE);
}

let cached: Uint8Array | null = null;
export function textPool(): Uint8Array {
  if (cached === null) cached = buildTextPool();
  return cached;
}
export function setTextPool(pool: Uint8Array): void {
  cached = pool;
}
