// LIRS replacement (Jiang & Zhang, "LIRS: An Efficient Low Inter-reference Recency Set Replacement
// Policy to Improve Buffer Cache Performance", SIGMETRICS 2002). Blocks with a low inter-reference
// recency (LIR) keep most of the cache; blocks seen once (a scan) only pass through the small
// resident-HIR part, so a scan cannot flush the hot set as it does under LRU.
//   stack S: recency order of LIR blocks and recently seen HIR blocks (resident or not);
//            its bottom is always an LIR block (stack pruning keeps it so).
//   queue Q: resident HIR blocks, the eviction candidates, in FIFO order.
// Sizes are bytes: the LIR set may hold LIR_FRACTION of the capacity, HIR blocks the rest.
import { ReplacementPolicy } from './replacement-policy';

const LIR_FRACTION = 0.99;
/**
 * Non-resident HIR entries kept in S, as a multiple of the resident entries (bounds metadata and
 * the reuse distance that still promotes a returning block to LIR). 1 is CLOCK-Pro's bound (as many
 * non-resident as resident pages). Measured with bench/buffer/hit-rate.ts: 2 let blocks of a Zipf
 * tail that return after long gaps displace hot LIR blocks (LIRS 0.3-0.9 points below ARC); 0.5
 * forgets too soon for the TPC-H trace (25% pool: 39.0 against 45.2).
 */
const NONRESIDENT_FACTOR = 1;

const enum Status {
  Lir,
  HirResident,
  HirNonResident,
}

interface Entry {
  status: Status;
  bytes: number;
}

export class LirsPolicy implements ReplacementPolicy {
  readonly name = 'lirs';
  private readonly entries = new Map<number, Entry>();
  /** Map order = stack order, first = bottom. */
  private readonly stack = new Map<number, true>();
  /** Map order = queue order, first = front (next victim). */
  private readonly queue = new Map<number, true>();
  private lirBytes = 0;
  private hirBytes = 0;
  private nonResident = 0;
  private readonly lirCapacity: number;
  /**
   * Warm-up (new blocks become LIR while the LIR set has room) ends when the first block enters
   * as HIR, as in the paper, where the LIR set then stays full. With blocks of different sizes,
   * demoting one large LIR block leaves room in bytes; without this flag, blocks seen once (a
   * scan) would then enter the LIR set directly, which the paper never allows.
   */
  private warm = false;

  constructor(
    readonly capacityBytes: number,
    lirFraction = LIR_FRACTION,
    private readonly nonResidentFactor = NONRESIDENT_FACTOR,
  ) {
    this.lirCapacity = Math.floor(capacityBytes * lirFraction);
  }

  get residentBytes(): number {
    return this.lirBytes + this.hirBytes;
  }

  /** For tests: the stack bottom must be LIR whenever the stack is not empty. */
  stackBottomIsLir(): boolean {
    for (const key of this.stack.keys()) return this.entries.get(key)!.status === Status.Lir;
    return true;
  }
  get lirSetBytes(): number {
    return this.lirBytes;
  }

  access(key: number): boolean {
    const e = this.entries.get(key);
    if (e === undefined || e.status === Status.HirNonResident) return false;
    if (e.status === Status.Lir) {
      this.toTop(key);
      this.prune();
      return true;
    }
    // Resident HIR hit.
    if (this.stack.has(key)) {
      // Its new recency is lower than the bottom LIR's: it becomes LIR, the bottom LIR becomes HIR.
      this.toTop(key);
      this.queue.delete(key);
      e.status = Status.Lir;
      this.hirBytes -= e.bytes;
      this.lirBytes += e.bytes;
      this.demoteBottomWhileOver();
      this.prune();
    } else {
      this.toTop(key);
      this.queue.delete(key);
      this.queue.set(key, true);
    }
    return true;
  }

  insert(key: number, bytes: number, isPinned: (key: number) => boolean): number[] {
    const evicted: number[] = [];
    const existing = this.entries.get(key);
    if (existing !== undefined && existing.status !== Status.HirNonResident) this.remove(key);
    this.makeRoom(bytes, isPinned, evicted);
    const e = this.entries.get(key);
    if (e !== undefined && this.stack.has(key)) {
      // A non-resident HIR block seen again while still in S: it joins the LIR set.
      this.nonResident--;
      e.status = Status.Lir;
      e.bytes = bytes;
      this.lirBytes += bytes;
      this.toTop(key);
      this.demoteBottomWhileOver();
      this.prune();
    } else if (!this.warm && this.lirBytes + bytes <= this.lirCapacity) {
      // Warm-up: while the LIR set has room, new blocks are LIR.
      this.entries.set(key, { status: Status.Lir, bytes });
      this.lirBytes += bytes;
      this.toTop(key);
    } else {
      this.warm = true;
      this.entries.set(key, { status: Status.HirResident, bytes });
      this.hirBytes += bytes;
      this.toTop(key);
      this.queue.set(key, true);
    }
    this.boundNonResident();
    return evicted;
  }

  remove(key: number): void {
    const e = this.entries.get(key);
    if (e === undefined) return;
    if (e.status === Status.Lir) this.lirBytes -= e.bytes;
    else if (e.status === Status.HirResident) this.hirBytes -= e.bytes;
    else this.nonResident--;
    this.entries.delete(key);
    this.stack.delete(key);
    this.queue.delete(key);
    this.prune();
  }

  private toTop(key: number): void {
    this.stack.delete(key);
    this.stack.set(key, true);
  }

  /** Stack pruning: remove HIR entries from the bottom until an LIR entry is there. */
  private prune(): void {
    for (const key of this.stack.keys()) {
      const e = this.entries.get(key)!;
      if (e.status === Status.Lir) return;
      this.stack.delete(key);
      if (e.status === Status.HirNonResident) {
        this.entries.delete(key);
        this.nonResident--;
      }
    }
  }

  /** Moves bottom LIR blocks to the HIR queue while the LIR set is over its share. */
  private demoteBottomWhileOver(): void {
    while (this.lirBytes > this.lirCapacity) {
      const bottom = this.stack.keys().next();
      if (bottom.done) return;
      const key = bottom.value;
      const e = this.entries.get(key)!;
      if (e.status !== Status.Lir) {
        this.prune();
        continue;
      }
      e.status = Status.HirResident;
      this.lirBytes -= e.bytes;
      this.hirBytes += e.bytes;
      this.stack.delete(key);
      this.queue.set(key, true);
      this.prune();
    }
  }

  private makeRoom(bytes: number, isPinned: (key: number) => boolean, evicted: number[]): void {
    let guard = this.entries.size * 2 + 4;
    while (this.residentBytes + bytes > this.capacityBytes && guard-- > 0) {
      if (this.queue.size === 0) {
        // Everything resident is LIR: demote the bottom one so it can be evicted.
        const bottom = this.stack.keys().next();
        if (bottom.done) return;
        const e = this.entries.get(bottom.value)!;
        if (e.status === Status.Lir) {
          e.status = Status.HirResident;
          this.lirBytes -= e.bytes;
          this.hirBytes += e.bytes;
          this.stack.delete(bottom.value);
          this.queue.set(bottom.value, true);
          this.prune();
        }
        continue;
      }
      const victim = this.queue.keys().next().value as number;
      this.queue.delete(victim);
      if (isPinned(victim)) {
        this.queue.set(victim, true);
        continue;
      }
      const e = this.entries.get(victim)!;
      this.hirBytes -= e.bytes;
      evicted.push(victim);
      if (this.stack.has(victim)) {
        e.status = Status.HirNonResident;
        this.nonResident++;
      } else this.entries.delete(victim);
    }
  }

  private boundNonResident(): void {
    const limit = this.nonResidentFactor * Math.max(16, this.entries.size - this.nonResident);
    if (this.nonResident <= limit) return;
    for (const key of this.stack.keys()) {
      if (this.nonResident <= limit) break;
      const e = this.entries.get(key)!;
      if (e.status !== Status.HirNonResident) continue;
      this.stack.delete(key);
      this.entries.delete(key);
      this.nonResident--;
    }
  }
}
