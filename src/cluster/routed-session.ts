// One client session routed by a follower (statement-router.ts decides to route it): the leader's
// session, opened with the client's startup packet and authenticated by the leader, and a session on
// the follower's standby engine, opened after the leader's first ReadyForQuery; units go to one or
// the other (unit-side.ts) one at a time, and the session state the standby's session needs is
// replayed on it. See statement-router.ts for the rules.
import { Socket, connect } from 'net';
import { Duplex } from 'stream';
import { ProxyTarget, RelayedSession, leaderGoneBytes, noLeaderBytes } from './client-proxy';
import { BodyCursor, Msg, MessageSplitter, PgMessage, closeMessage, errorCode, errorResponse, isFatalSeverity, queryMessage, readyForQuery, syncMessage } from './pg-messages';
import { cancelRequest } from './startup-packet';
import type { LocalEngine, RouterContext } from './statement-router';
import { PreparedNames, runsLocally, unitFacts, UnitFacts } from './unit-side';
import { FETCH_LIMIT_CODE } from './standby-kv';

type Side = 'leader' | 'local';

/** How long the standby's session may take to open before the session goes on with the leader alone. */
const LOCAL_STARTUP_MS = 5000;

/**
 * How long a session or unit that could run on the standby waits for a read lease asked for then,
 * before it goes to the leader (statement-router.ts too). The lease's round trip takes a few ms when
 * both nodes are idle, but 60-140 ms were seen with the processes sharing two cores, and as long as
 * the leader's event loop is held: the statement would wait that long there too.
 */
export const LEASE_WAIT_MS = 250;

interface InFlight {
  side: Side;
  facts: UnitFacts;
  /** The unit's messages (a standby's unit refused for its fetch size is sent again, to the leader). */
  unit: PgMessage[];
  /**
   * A standby's unit: its replies held back while they are only ones that come before its first
   * statement runs (see WITHHELD), null once one that is not came (they are then passed on). A unit
   * whose first statement the standby refuses for its fetch size (standby_fetch_limit) has shown the
   * client nothing: it runs on the leader, whose replies are the only ones the client sees.
   */
  held: Buffer[] | null;
  /** Replayed Parse messages at the head of a leader unit whose ParseComplete the client must not see. */
  swallowParseComplete: number;
  sawError: boolean;
  lastTag: string;
  /** The unit had a Flush before its Sync: the rest of it is relayed to the leader as it comes. */
  streaming: boolean;
}

export class RoutedSession implements RelayedSession {
  private readonly leaderSocket: Socket;
  private readonly leaderTo: ProxyTarget | null;
  private readonly leaderIn = new MessageSplitter();
  private local: Duplex | null = null;
  private readonly localIn = new MessageSplitter();
  private readonly clientIn = new MessageSplitter();
  /** 'auth': bytes pass through; 'local-startup': the standby's session is being opened; 'ready': routing. */
  private phase: 'auth' | 'local-startup' | 'ready' = 'auth';
  private leaderStatus = 'I';
  private leaderKey = '';
  private localKey: { pid: number; secret: number } | null = null;
  private readonly queue: PgMessage[] = [];
  private inflight: InFlight | null = null;
  /** A read lease asked for before the unit at the queue's head is dispatched ('waited': it was, once). */
  private leaseWait: 'none' | 'waiting' | 'waited' = 'none';
  /** Silent units (replayed settings, closes) whose replies, up to ReadyForQuery, the client must not see. */
  private leaderSilent = 0;
  private localSilent = 0;
  private readonly names: PreparedNames = new Map();
  /** Settings changed inside the leader's open transaction: replayed on the standby at COMMIT. */
  private txnMirror: string[] = [];
  /** A temporary object exists: only the leader's session sees it. */
  private pinned = false;
  /** The standby's session reported its engine closed: it answers nothing more. */
  private localClosed = false;
  private closed = false;
  private terminating = false;
  private leaderReached = false;
  private leaderFatal = false;
  /**
   * Units (Query, Sync) the client sent before its authentication ended, relayed as raw bytes: the
   * leader answers each with a ReadyForQuery before any unit the router sends, so none is routed
   * until they are answered (a pipelined BEGIN leaves the leader's session in a transaction).
   */
  private untracked = 0;
  private readonly authIn = new MessageSplitter();

  constructor(
    private readonly client: Socket,
    private readonly ctx: RouterContext,
    private readonly engine: LocalEngine,
    private readonly startupPacket: Buffer,
    rest: Buffer,
  ) {
    this.leaderTo = ctx.leader();
    if (this.leaderTo === null) {
      this.closed = true;
      client.end(noLeaderBytes());
      this.leaderSocket = new Socket();
      return;
    }
    const up = connect({ host: this.leaderTo.host, port: this.leaderTo.port });
    this.leaderSocket = up;
    up.setNoDelay(true);
    up.once('connect', () => (this.leaderReached = true));
    up.on('error', () => undefined);
    up.on('data', (chunk: Buffer) => this.fromLeader(chunk));
    up.on('drain', () => client.resume());
    up.once('close', () => this.leaderClosed());
    client.on('drain', () => {
      up.resume();
      this.local?.resume();
    });
    up.write(startupPacket);
    if (rest.length > 0) {
      this.countUntracked(rest);
      up.write(rest);
    }
    client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    client.resume();
    const gone = () => this.clientGone();
    client.once('end', gone);
    client.once('close', gone);
  }

  target(): ProxyTarget | null {
    return this.leaderTo;
  }

  abandon(): void {
    if (!this.closed) this.leaderSocket.destroy();
  }

  // ---- client → router ----

  private fromClient(chunk: Buffer): void {
    if (this.phase === 'auth') {
      // Authentication messages are the leader's business, byte for byte.
      this.countUntracked(chunk);
      if (!this.leaderSocket.write(chunk)) this.client.pause();
      return;
    }
    const messages = split(this.clientIn, chunk, this.client);
    if (messages === null) return;
    for (const m of messages) {
      const f = this.inflight;
      // The rest of a streaming unit, and COPY data of the running unit, go straight to its side.
      if (f !== null && this.queue.length === 0 && (f.streaming || isCopyMessage(m.type))) {
        if (f.streaming) this.noteStreamed(m);
        this.send(f.side, m.bytes);
        continue;
      }
      this.queue.push(m);
    }
    this.pump();
  }

  private countUntracked(chunk: Buffer): void {
    // Malformed bytes are the leader's to judge.
    const messages = split(this.authIn, chunk, null);
    if (messages === null) return;
    for (const m of messages) if (m.type === Msg.query || m.type === Msg.sync) this.untracked++;
  }

  private send(side: Side, bytes: Buffer): void {
    const to = side === 'leader' ? this.leaderSocket : this.local;
    if (to !== null && !to.write(bytes)) this.client.pause();
  }

  /** Sends the queued units one at a time: the next only once the previous one's ReadyForQuery came. */
  private pump(): void {
    while (this.phase === 'ready' && this.untracked === 0 && this.queue.length > 0 && !this.closed && this.leaseWait !== 'waiting') {
      const f = this.inflight;
      if (f !== null && f.streaming) {
        const m = this.queue.shift()!;
        this.noteStreamed(m);
        this.send('leader', m.bytes);
        continue;
      }
      const first = this.queue[0];
      if (f !== null) {
        // COPY data the client sent right behind its COPY query (in the same packet) belongs to the
        // running unit: held back, the COPY would wait for it forever. (COPY runs on the leader only;
        // stray COPY messages behind a standby's unit wait, and go to the leader as before.)
        if (isCopyMessage(first.type) && f.side === 'leader') {
          this.send(f.side, this.queue.shift()!.bytes);
          continue;
        }
        return;
      }
      if (first.type === Msg.terminate) {
        this.terminating = true;
        this.queue.length = 0;
        this.leaderSocket.write(first.bytes);
        this.local?.end();
        return;
      }
      if (first.type === Msg.query || first.type === Msg.functionCall || first.type === Msg.sync) {
        this.dispatch(this.queue.splice(0, 1), false);
        continue;
      }
      if (first.type === Msg.flush || isCopyMessage(first.type)) {
        // A Flush outside a unit, or COPY messages left over from a failed COPY: the leader's to handle (or drop).
        this.leaderSocket.write(this.queue.shift()!.bytes);
        continue;
      }
      // Extended protocol: wait for the Sync that ends the unit; a Flush before it means the client
      // waits for answers mid-unit, so the unit cannot be judged whole: it goes to the leader as it comes.
      const end = this.queue.findIndex((m) => m.type === Msg.sync || m.type === Msg.flush || m.type === Msg.query || m.type === Msg.terminate);
      if (end < 0) return;
      const stop = this.queue[end].type;
      if (stop === Msg.sync) this.dispatch(this.queue.splice(0, end + 1), false);
      else if (stop === Msg.flush) this.dispatch(this.queue.splice(0, end + 1), true);
      // A Query or Terminate before any Sync: what came before is handed to the leader, which judges it.
      else this.dispatch(this.queue.splice(0, end), false, true);
    }
  }

  /** The session's standby side can take units (whether its copy is in sync aside). */
  private localOpen(): boolean {
    return this.local !== null && !this.localClosed && !this.pinned;
  }

  private dispatch(unit: PgMessage[], streaming: boolean, noReply = false): void {
    const facts = unitFacts(unit);
    const wanted = !streaming && !noReply && this.localOpen() && runsLocally(facts, this.names, this.leaderStatus === 'I');
    if (wanted && this.leaseWait === 'none' && !this.engine.inSync()) {
      // Back to the queue's head until a read lease that ran out (this node was busy) is asked for: the
      // unit is dispatched again, once, with whatever the answer gave.
      this.queue.unshift(...unit);
      this.leaseWait = 'waiting';
      void this.engine.inSyncSoon(LEASE_WAIT_MS).finally(() => {
        this.leaseWait = 'waited';
        this.pump();
      });
      return;
    }
    this.leaseWait = 'none';
    const local = wanted && this.engine.inSync();
    if (noReply) {
      // No Sync: there will be no ReadyForQuery to wait for (nor a place to hide a replayed Parse's reply).
      for (const name of facts.parses.keys()) this.names.set(name, { parse: facts.parses.get(name)!, local: false, leader: true });
      for (const m of unit) this.leaderSocket.write(m.bytes);
      // Until the leader's next ReadyForQuery its session holds their implicit transaction (as in
      // PostgreSQL, the Query that follows runs inside it): not idle, so that Query goes there too.
      this.leaderStatus = 'T';
      return;
    }
    const flight: InFlight = { side: local ? 'local' : 'leader', facts, unit, held: local ? [] : null, swallowParseComplete: 0, sawError: false, lastTag: '', streaming };
    this.inflight = flight;
    const other: Side = local ? 'leader' : 'local';
    // A statement closed here is closed on the other side too, so that its name can be parsed again there.
    for (const name of facts.closes) {
      const held = this.names.get(name);
      if (held !== undefined && (local ? held.leader : held.local)) this.silently(other, Buffer.concat([closeMessage('S', name), syncMessage()]));
      this.names.delete(name);
    }
    if (local) this.ctx.counters.localUnits++;
    else this.ctx.counters.leaderUnits++;
    const head = local ? [] : this.parsesForLeader(flight);
    for (const [name, parse] of facts.parses) {
      // The unnamed statement lives on one side only: the last one that parsed it.
      const held = this.names.get(name);
      if (held === undefined || name === '') this.names.set(name, { parse, local, leader: !local });
      else if (local) held.local = true;
      else held.leader = true;
    }
    this.send(flight.side, head.length === 0 && unit.length === 1 ? unit[0].bytes : Buffer.concat([...head, ...unit.map((m) => m.bytes)]));
  }

  /** Statements a leader unit uses that only the standby's session holds: their Parse, to send first (replies swallowed). */
  private parsesForLeader(flight: InFlight): Buffer[] {
    const head: Buffer[] = [];
    for (const name of flight.facts.uses) {
      const held = this.names.get(name);
      if (held === undefined || held.leader || !held.local) continue;
      head.push(held.parse);
      held.leader = true;
      flight.swallowParseComplete++;
    }
    return head;
  }

  /**
   * The standby refused the unit's first statement before it ran (it would fetch more than
   * standby_fetch_limit from the leader), having sent only replies held back here: the unit runs on the
   * leader as if it had been sent there. The standby's session keeps what the unit parsed (its
   * ParseCompletes were held back), so those statements now live on both sides; its Close messages run
   * on the leader again (closing a missing statement is no error), and the closes dispatch sent there
   * came first.
   */
  private rerunOnLeader(refused: InFlight): void {
    const counters = this.ctx.counters;
    counters.localUnits--;
    counters.leaderUnits++;
    counters.fetchLimitUnits++;
    const flight: InFlight = { ...refused, side: 'leader', held: null, swallowParseComplete: 0, sawError: false, lastTag: '' };
    this.inflight = flight;
    const head = this.parsesForLeader(flight);
    for (const name of flight.facts.parses.keys()) {
      const held = this.names.get(name);
      if (held !== undefined) held.leader = true;
    }
    this.send('leader', Buffer.concat([...head, ...flight.unit.map((m) => m.bytes)]));
  }

  /** Bookkeeping for messages of a streaming unit relayed as they come. */
  private noteStreamed(m: PgMessage): void {
    if (m.type === Msg.sync) this.inflight!.streaming = false;
    if (m.type === Msg.parse) {
      const name = new BodyCursor(m.bytes).cstring();
      const held = this.names.get(name);
      if (held === undefined || name === '') this.names.set(name, { parse: m.bytes, local: false, leader: true });
      else held.leader = true;
    }
  }

  /** Sends a unit (ending in Sync or a Query) whose replies nobody sees; the client's units wait behind it on that side. */
  private silently(side: Side, bytes: Buffer): void {
    if (side === 'leader') {
      this.leaderSilent++;
      this.leaderSocket.write(bytes);
    } else if (this.local !== null) {
      this.localSilent++;
      this.local.write(bytes);
    }
  }

  // ---- leader → router ----

  private fromLeader(chunk: Buffer): void {
    const messages = split(this.leaderIn, chunk, this.leaderSocket);
    if (messages === null) return;
    const out: Buffer[] = [];
    for (const m of messages) {
      // The leader's own FATAL (a wrong password, its shutdown) ends the session: nothing to add to it.
      if (m.type === Msg.errorResponse) this.leaderFatal = isFatalSeverity(m.bytes, 5);
      if (this.phase === 'auth') {
        out.push(m.bytes);
        if (m.type === Msg.backendKeyData) this.leaderKey = `${m.bytes.readInt32BE(5)}/${m.bytes.readInt32BE(9)}`;
        if (m.type === Msg.readyForQuery) {
          this.leaderStatus = String.fromCharCode(m.bytes[5]);
          this.openLocal();
        }
        continue;
      }
      if (this.leaderSilent > 0) {
        if (m.type === Msg.readyForQuery) this.leaderSilent--;
        continue;
      }
      const f = this.inflight;
      if (f === null || f.side !== 'leader') {
        // Between units the leader speaks only asynchronously (notices, parameter changes, a FATAL),
        // or answers units the client sent before its authentication ended.
        out.push(m.bytes);
        if (m.type === Msg.readyForQuery && this.untracked > 0) {
          this.untracked--;
          this.leaderStatus = String.fromCharCode(m.bytes[5]);
        }
        continue;
      }
      if (m.type === Msg.parseComplete && f.swallowParseComplete > 0) {
        f.swallowParseComplete--;
        continue;
      }
      if (m.type === Msg.errorResponse) {
        f.sawError = true;
        // A failed replayed Parse has no ParseComplete: nothing more to swallow in this unit.
        f.swallowParseComplete = 0;
      }
      if (m.type === Msg.commandComplete) f.lastTag = new BodyCursor(m.bytes).cstring();
      out.push(m.bytes);
      if (m.type === Msg.readyForQuery) this.leaderUnitDone(f, String.fromCharCode(m.bytes[5]));
    }
    this.toClient(out, this.leaderSocket);
    this.pump();
  }

  private leaderUnitDone(f: InFlight, status: string): void {
    const wasInTransaction = this.leaderStatus !== 'I';
    this.leaderStatus = status;
    this.inflight = null;
    const k = f.facts.kind;
    // A failed statement created or dropped nothing (this engine refuses temporary tables, DEALLOCATE
    // and DISCARD with 0A000 today, so these wait for the engine to support them).
    if (!f.sawError) {
      if (k.createsTemp) this.pinned = true;
      if (k.dropsAllPrepared) this.names.clear();
      for (const name of k.dropsPrepared) this.names.delete(name);
    }
    // A Parse-only unit changed no setting.
    const mirror = f.sawError || !f.facts.executes ? [] : k.mirror;
    if (status === 'I') {
      const texts = wasInTransaction && f.lastTag === 'COMMIT' ? [...this.txnMirror, ...mirror] : mirror;
      this.txnMirror = [];
      if (texts.length > 0) this.silently('local', queryMessage(texts.join(';\n')));
    } else this.txnMirror.push(...mirror);
  }

  private openLocal(): void {
    this.phase = 'local-startup';
    if (this.leaderKey !== '') this.ctx.cancelByLeaderKey.set(this.leaderKey, () => this.cancelLocal());
    let local: Duplex;
    try {
      local = this.engine.connect();
    } catch {
      this.phase = 'ready';
      return;
    }
    this.local = local;
    local.on('error', () => undefined);
    local.on('data', (chunk: Buffer) => this.fromLocal(chunk));
    local.on('drain', () => this.client.resume());
    local.once('close', () => this.localLost());
    local.write(this.startupPacket);
    // The client's units wait for the standby's session: one that does not open in time is given up.
    setTimeout(() => {
      if (this.phase === 'local-startup' && this.local === local) local.destroy();
    }, LOCAL_STARTUP_MS).unref();
  }

  private cancelLocal(): void {
    const key = this.localKey;
    if (key === null || this.inflight?.side !== 'local') return;
    const c = this.engine.connect();
    c.on('error', () => undefined);
    c.end(cancelRequest(key.pid, key.secret));
    c.resume();
  }

  // ---- standby → router ----

  private fromLocal(chunk: Buffer): void {
    const messages = split(this.localIn, chunk, this.local);
    if (messages === null) return;
    const out: Buffer[] = [];
    for (const m of messages) {
      if (this.phase === 'local-startup') {
        // The standby session's greeting is not the client's: its key is kept for cancelling.
        if (m.type === Msg.backendKeyData) this.localKey = { pid: m.bytes.readInt32BE(5), secret: m.bytes.readInt32BE(9) };
        if (m.type === Msg.errorResponse) this.local?.destroy();
        if (m.type === Msg.readyForQuery) this.phase = 'ready';
        continue;
      }
      if (m.type === Msg.errorResponse && isFatalSeverity(m.bytes, 5)) {
        // The standby's session ended (its server shut down): the client's session is the leader's
        // and goes on; this unit is answered by localLost().
        this.local?.destroy();
        break;
      }
      if (this.localSilent > 0) {
        if (m.type === Msg.readyForQuery) this.localSilent--;
        continue;
      }
      const f = this.inflight;
      if (f?.side !== 'local') continue;
      if (f.held !== null) {
        if (m.type === Msg.errorResponse && errorCode(m.bytes) === FETCH_LIMIT_CODE) {
          // Its other replies, up to its ReadyForQuery, are nobody's (the standby answers in order).
          this.localSilent++;
          this.rerunOnLeader(f);
          continue;
        }
        if (WITHHELD.has(m.type)) {
          f.held.push(m.bytes);
          continue;
        }
        out.push(...f.held);
        f.held = null;
      }
      // The standby engine was closed under the session (this node stopped following): its answer
      // goes to the client, later units to the leader.
      if (m.type === Msg.errorResponse && errorCode(m.bytes) === '57P01') this.localClosed = true;
      out.push(m.bytes);
      if (m.type === Msg.readyForQuery) this.inflight = null;
    }
    this.toClient(out, this.local);
    this.pump();
  }

  private localLost(): void {
    this.local = null;
    this.localSilent = 0;
    if (this.phase === 'local-startup') this.phase = 'ready';
    const f = this.inflight;
    if (f?.side === 'local' && !this.closed) {
      // The unit only read, so nothing is in doubt, but its answer is lost: the client retries it.
      this.inflight = null;
      this.client.write(Buffer.concat([...(f.held ?? []), errorResponse('40001', "the follower's read-only copy became unavailable during the statement; retry"), readyForQuery(this.leaderStatus)]));
    }
    this.pump();
  }

  private toClient(out: Buffer[], from: Duplex | null): void {
    if (out.length === 0 || this.closed) return;
    if (!this.client.write(out.length === 1 ? out[0] : Buffer.concat(out))) from?.pause();
  }

  // ---- endings ----

  private leaderClosed(): void {
    this.local?.destroy();
    if (this.leaderKey !== '') this.ctx.cancelByLeaderKey.delete(this.leaderKey);
    if (this.closed) return;
    this.closed = true;
    // Whole messages only are passed on, so the client is always at a message boundary here.
    if (this.terminating || this.leaderFatal) this.client.end();
    else this.client.end(leaderGoneBytes(this.leaderReached));
  }

  private clientGone(): void {
    this.closed = true;
    this.leaderSocket.end();
    this.local?.destroy();
  }
}

/** The whole messages of a chunk; null after bad framing, which ends the stream it came from (if given). */
function split(splitter: MessageSplitter, chunk: Buffer, from: Duplex | null): PgMessage[] | null {
  try {
    return splitter.push(chunk);
  } catch {
    from?.destroy();
    return null;
  }
}

/**
 * The standby's replies that come before a unit's first statement runs (engine/session.ts refuses
 * only a unit's first statement for its fetch size): ParseComplete, BindComplete, CloseComplete,
 * ParameterDescription, RowDescription, NoData, and notices and parameter changes. Any other reply
 * (rows, a command tag, an error, ReadyForQuery) passes the held ones on.
 */
const WITHHELD = new Set([0x31, 0x32, 0x33, 0x74, 0x54, 0x6e, 0x4e, 0x53]);

function isCopyMessage(type: number): boolean {
  return type === Msg.copyData || type === Msg.copyDone || type === Msg.copyFail;
}
