// Work stealing over morsels: each thread of a parallel fragment owns a queue — a contiguous range
// of morsel numbers — and takes morsels from its front, so it reads neighbouring row groups (their
// chunks and string dictionaries stay hot). A thread whose queue is empty steals the back half of
// the fullest other queue and makes it its own; the owner keeps going from its front, unaware.
// Claiming ends when every queue is empty: each morsel is claimed exactly once.
//
// A queue is one Int32 in shared memory, front << 16 | end (morsels [front, end) are left), changed
// only by compare-and-swap: the owner moves `front` up, a thief moves `end` down, and whoever loses
// a race reads the word again. Only the owner ever refills its (empty) queue, with what it stole.

/** Morsel numbers must fit 16 bits (run-parallel.ts rounds stay far below). */
export const MAX_QUEUED_MORSELS = 0xffff;

const pack = (front: number, end: number): number => (front << 16) | end;

export class MorselQueues {
  private readonly words: Int32Array;
  /** Morsels this thread took from other queues (statistics). */
  stolen = 0;

  /** The queues in `buffer` (from MorselQueues.share). */
  constructor(buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer);
  }

  /** Shared memory for `count` queues over morsels 0 … total-1, split into contiguous ranges of (nearly) equal size. */
  static share(total: number, count: number): SharedArrayBuffer {
    if (total > MAX_QUEUED_MORSELS) throw new Error(`morsel queues: ${total} morsels exceed ${MAX_QUEUED_MORSELS}`);
    const buffer = new SharedArrayBuffer(4 * Math.max(1, count));
    const words = new Int32Array(buffer);
    for (let q = 0; q < count; q++) words[q] = pack(Math.floor((total * q) / count), Math.floor((total * (q + 1)) / count));
    return buffer;
  }

  get queueCount(): number {
    return this.words.length;
  }

  /** The next morsel for the owner of queue q: its own front, else a stolen one; -1 when none is left anywhere. */
  claim(q: number): number {
    const words = this.words;
    for (;;) {
      const w = Atomics.load(words, q);
      const front = w >>> 16;
      const end = w & 0xffff;
      if (front >= end) break;
      if (Atomics.compareExchange(words, q, w, pack(front + 1, end)) === w) return front;
    }
    return this.steal(q);
  }

  /** Queue q is empty: take the back half of the fullest queue, return its first morsel and keep the rest in q. */
  private steal(q: number): number {
    const words = this.words;
    for (;;) {
      let victim = -1;
      let most = 0;
      let seen = 0;
      for (let v = 0; v < words.length; v++) {
        if (v === q) continue;
        const w = Atomics.load(words, v);
        const left = (w & 0xffff) - (w >>> 16);
        if (left > most) {
          most = left;
          victim = v;
          seen = w;
        }
      }
      if (victim < 0) return -1;
      const front = seen >>> 16;
      const end = seen & 0xffff;
      const take = (end - front + 1) >> 1;
      if (Atomics.compareExchange(words, victim, seen, pack(front, end - take)) !== seen) continue;
      const first = end - take;
      this.stolen += take;
      // Queue q is empty and nobody else writes an empty queue: a plain store publishes the rest.
      if (take > 1) Atomics.store(words, q, pack(first + 1, end));
      return first;
    }
  }
}
