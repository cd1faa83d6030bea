// The distributions of dists.dss (TPC-H spec clause 4.2.2.13 and 4.2.2.14): word lists with weights.
// A pick draws a uniform integer in [1, total weight] and takes the first member whose running
// weight reaches it (dbgen's pick_str), so a lookup table from draw to member answers it in O(1).
import { Streams } from './random';

type Entries = ReadonlyArray<readonly [string, number]>;

export class Dist {
  readonly words: string[];
  readonly bytes: Uint8Array[];
  /** Running weights, as dbgen keeps them (nation's running weight is its region key). */
  readonly cumulative: number[];
  readonly total: number;
  private readonly lookup: Uint8Array;

  constructor(entries: Entries) {
    this.words = entries.map((e) => e[0]);
    this.bytes = this.words.map((w) => Buffer.from(w, 'latin1'));
    let sum = 0;
    this.cumulative = entries.map((e) => (sum += e[1]));
    this.total = sum;
    this.lookup = new Uint8Array(Math.max(sum, 0) + 1);
    let member = 0;
    for (let draw = 1; draw <= sum; draw++) {
      while (this.cumulative[member] < draw) member++;
      this.lookup[draw] = member;
    }
  }

  /** Index of a member picked with stream `s`. */
  pick(streams: Streams, s: number): number {
    return this.lookup[streams.int(1, this.total, s)];
  }
}

const ones = (words: string[]): Entries => words.map((w) => [w, 1] as const);

export const containers = new Dist(ones(
  ['SM', 'LG', 'MED', 'JUMBO', 'WRAP'].flatMap((size) => ['CASE', 'BOX', 'BAG', 'JAR', 'PACK', 'PKG', 'CAN', 'DRUM'].map((c) => `${size} ${c}`)),
));
export const instructions = new Dist(ones(['DELIVER IN PERSON', 'COLLECT COD', 'TAKE BACK RETURN', 'NONE']));
export const segments = new Dist(ones(['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'HOUSEHOLD', 'MACHINERY']));
// Weights here are region adjustments, not frequencies; their running sum is the region key.
export const nations = new Dist([
  ['ALGERIA', 0], ['ARGENTINA', 1], ['BRAZIL', 0], ['CANADA', 0], ['EGYPT', 3], ['ETHIOPIA', -4],
  ['FRANCE', 3], ['GERMANY', 0], ['INDIA', -1], ['INDONESIA', 0], ['IRAN', 2], ['IRAQ', 0], ['JAPAN', -2],
  ['JORDAN', 2], ['KENYA', -4], ['MOROCCO', 0], ['MOZAMBIQUE', 0], ['PERU', 1], ['CHINA', 1], ['ROMANIA', 1],
  ['SAUDI ARABIA', 1], ['VIETNAM', -2], ['RUSSIA', 1], ['UNITED KINGDOM', 0], ['UNITED STATES', -2],
]);
export const regions = new Dist(ones(['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST']));
export const priorities = new Dist(ones(['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW']));
export const returnFlags = new Dist(ones(['R', 'A']));
export const shipModes = new Dist(ones(['REG AIR', 'AIR', 'RAIL', 'TRUCK', 'MAIL', 'FOB', 'SHIP']));
export const partTypes = new Dist(ones(
  ['STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO'].flatMap((a) =>
    ['ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED'].flatMap((b) => ['TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER'].map((c) => `${a} ${b} ${c}`)),
  ),
));
export const colors = new Dist(ones([
  'almond', 'antique', 'aquamarine', 'azure', 'beige', 'bisque', 'black', 'blanched', 'blue', 'blush', 'brown',
  'burlywood', 'burnished', 'chartreuse', 'chiffon', 'chocolate', 'coral', 'cornflower', 'cornsilk', 'cream',
  'cyan', 'dark', 'deep', 'dim', 'dodger', 'drab', 'firebrick', 'floral', 'forest', 'frosted', 'gainsboro',
  'ghost', 'goldenrod', 'green', 'grey', 'honeydew', 'hot', 'indian', 'ivory', 'khaki', 'lace', 'lavender',
  'lawn', 'lemon', 'light', 'lime', 'linen', 'magenta', 'maroon', 'medium', 'metallic', 'midnight', 'mint',
  'misty', 'moccasin', 'navajo', 'navy', 'olive', 'orange', 'orchid', 'pale', 'papaya', 'peach', 'peru', 'pink',
  'plum', 'powder', 'puff', 'purple', 'red', 'rose', 'rosy', 'royal', 'saddle', 'salmon', 'sandy', 'seashell',
  'sienna', 'sky', 'slate', 'smoke', 'snow', 'spring', 'steel', 'tan', 'thistle', 'tomato', 'turquoise',
  'violet', 'wheat', 'white', 'yellow',
]));

// The pseudo-text grammar (clause 4.2.2.14).
export const nouns = new Dist([
  ['packages', 40], ['requests', 40], ['accounts', 40], ['deposits', 40], ['foxes', 20], ['ideas', 20],
  ['theodolites', 20], ['pinto beans', 20], ['instructions', 20], ['dependencies', 10], ['excuses', 10],
  ['platelets', 10], ['asymptotes', 10], ['courts', 5], ['dolphins', 5], ['multipliers', 1], ['sauternes', 1],
  ['warthogs', 1], ['frets', 1], ['dinos', 1], ['attainments', 1], ['somas', 1], ['Tiresias', 1], ['patterns', 1],
  ['forges', 1], ['braids', 1], ['frays', 1], ['warhorses', 1], ['dugouts', 1], ['notornis', 1], ['epitaphs', 1],
  ['pearls', 1], ['tithes', 1], ['waters', 1], ['orbits', 1], ['gifts', 1], ['sheaves', 1], ['depths', 1],
  ['sentiments', 1], ['decoys', 1], ['realms', 1], ['pains', 1], ['grouches', 1], ['escapades', 1], ['hockey players', 1],
]);
export const verbs = new Dist([
  ['sleep', 20], ['wake', 20], ['are', 20], ['cajole', 20], ['haggle', 20], ['nag', 10], ['use', 10], ['boost', 10],
  ['affix', 5], ['detect', 5], ['integrate', 5], ['maintain', 1], ['nod', 1], ['was', 1], ['lose', 1], ['sublate', 1],
  ['solve', 1], ['thrash', 1], ['promise', 1], ['engage', 1], ['hinder', 1], ['print', 1], ['x-ray', 1], ['breach', 1],
  ['eat', 1], ['grow', 1], ['impress', 1], ['mold', 1], ['poach', 1], ['serve', 1], ['run', 1], ['dazzle', 1],
  ['snooze', 1], ['doze', 1], ['unwind', 1], ['kindle', 1], ['play', 1], ['hang', 1], ['believe', 1], ['doubt', 1],
]);
export const adverbs = new Dist([
  ['sometimes', 1], ['always', 1], ['never', 1], ['furiously', 50], ['slyly', 50], ['carefully', 50],
  ['blithely', 40], ['quickly', 30], ['fluffily', 20], ['slowly', 1], ['quietly', 1], ['ruthlessly', 1],
  ['thinly', 1], ['closely', 1], ['doggedly', 1], ['daringly', 1], ['bravely', 1], ['stealthily', 1],
  ['permanently', 1], ['enticingly', 1], ['idly', 1], ['busily', 1], ['regularly', 1], ['finally', 1],
  ['ironically', 1], ['evenly', 1], ['boldly', 1], ['silently', 1],
]);
export const articles = new Dist([['the', 50], ['a', 20], ['an', 5]]);
export const prepositions = new Dist([
  ['about', 50], ['above', 50], ['according to', 50], ['across', 50], ['after', 50], ['against', 40], ['along', 40],
  ['alongside of', 30], ['among', 30], ['around', 20], ['at', 10], ['atop', 1], ['before', 1], ['behind', 1],
  ['beneath', 1], ['beside', 1], ['besides', 1], ['between', 1], ['beyond', 1], ['by', 1], ['despite', 1],
  ['during', 1], ['except', 1], ['for', 1], ['from', 1], ['in place of', 1], ['inside', 1], ['instead of', 1],
  ['into', 1], ['near', 1], ['of', 1], ['on', 1], ['outside', 1], ['over', 1], ['past', 1], ['since', 1],
  ['through', 1], ['throughout', 1], ['to', 1], ['toward', 1], ['under', 1], ['until', 1], ['up', 1], ['upon', 1],
  ['whithout', 1], ['with', 1], ['within', 1],
]);
export const auxiliaries = new Dist(ones([
  'do', 'may', 'might', 'shall', 'will', 'would', 'can', 'could', 'should', 'ought to', 'must', 'will have to',
  'shall have to', 'could have to', 'should have to', 'must have to', 'need to', 'try to',
]));
export const terminators = new Dist([['.', 50], [';', 1], [':', 1], ['?', 1], ['!', 1], ['--', 1]]);
export const adjectives = new Dist([
  ['special', 20], ['pending', 20], ['unusual', 20], ['express', 20], ['furious', 1], ['sly', 1], ['careful', 1],
  ['blithe', 1], ['quick', 1], ['fluffy', 1], ['slow', 1], ['quiet', 1], ['ruthless', 1], ['thin', 1], ['close', 1],
  ['dogged', 1], ['daring', 1], ['brave', 1], ['stealthy', 1], ['permanent', 1], ['enticing', 1], ['idle', 1],
  ['busy', 1], ['regular', 50], ['final', 40], ['ironic', 40], ['even', 30], ['bold', 20], ['silent', 10],
]);
// Sentence forms: N noun phrase, V verb phrase, P prepositional phrase, T terminator.
export const grammar = new Dist([['N V T', 3], ['N V P T', 3], ['N V N T', 3], ['N P V N T', 1], ['N P V P T', 1]]);
// Noun phrase forms: A article, J adjective, D adverb, N noun; a trailing ',' is written after the word.
export const nounPhrases = new Dist([['N', 10], ['J N', 20], ['J, J N', 10], ['D J N', 50]]);
// Verb phrase forms: V verb, X auxiliary, D adverb.
export const verbPhrases = new Dist([['V', 30], ['X V', 1], ['V D', 40], ['X V D', 1]]);
