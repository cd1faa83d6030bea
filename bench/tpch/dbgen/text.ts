// Pseudo-text (TPC-H spec clause 4.2.2.10 and 4.2.2.14). The reference generator first writes a
// 300 MiB pool of grammar-built sentences from its own stream, then every comment column is a
// substring of that pool at a random offset with a random length. The pool is built once per process
// into a SharedArrayBuffer so worker threads read the same bytes.
import * as D from './dists';
import { S, Streams, T } from './random';

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

class PoolWriter {
  pos = 0;
  constructor(readonly pool: Uint8Array, readonly rng: Streams) {}

  word(dist: Word): void {
    const w = dist.bytes[dist.pick(this.rng, S.TEXT_POOL)];
    this.pool.set(w, this.pos);
    this.pos += w.length;
  }

  phrase(forms: Form[], dist: D.Dist): void {
    const form = forms[dist.pick(this.rng, S.TEXT_POOL)];
    for (let i = 0; i < form.slots.length; i++) {
      this.word(form.slots[i]);
      if (form.punct[i] !== 0) this.pool[this.pos++] = form.punct[i];
      this.pool[this.pos++] = 0x20;
    }
  }

  /** One sentence at `pos`; words are separated by single spaces and the terminator abuts the last word. */
  sentence(): void {
    const form = sentenceForms[D.grammar.pick(this.rng, S.TEXT_POOL)];
    for (const part of form) {
      if (part === 0x4e /* N */) this.phrase(nounForms, D.nounPhrases);
      else if (part === 0x56 /* V */) this.phrase(verbForms, D.verbPhrases);
      else if (part === 0x50 /* P */) {
        this.word(D.prepositions);
        this.pool.set(THE, this.pos);
        this.pos += THE.length;
        this.phrase(nounForms, D.nounPhrases);
      } else {
        this.pos--; // over the space that ended the previous phrase
        this.word(D.terminators);
      }
    }
  }
}

/** Builds the text pool exactly as dbgen's dbg_text() does on first use. */
export function buildTextPool(): Uint8Array {
  const pool = new Uint8Array(new SharedArrayBuffer(TEXT_POOL_SIZE + SLACK));
  const w = new PoolWriter(pool, new Streams([T.NONE]));
  while (w.pos < TEXT_POOL_SIZE) {
    w.sentence();
    // A whole sentence plus its separating space fits, or the sentence is cut at the pool's end.
    if (w.pos + 1 <= TEXT_POOL_SIZE) pool[w.pos++] = 0x20;
    else w.pos = TEXT_POOL_SIZE;
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
