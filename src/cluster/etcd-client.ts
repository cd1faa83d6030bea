// A small typed client for etcd v3, spoken through etcd's JSON gRPC gateway with node's http module
// (no new dependency). Keys and values are strings here and base64 on the wire; int64 fields arrive as
// JSON strings: revisions are turned into numbers (they stay far below 2^53), lease ids stay strings
// (etcd hands out ids above 2^53).
//
// Errors: a request etcd answers with an error becomes an EtcdError (gRPC code and message); a request
// that never got an answer (connection refused or reset, timeout) becomes an EtcdUnavailableError,
// which is retryable: the caller may try again once etcd answers.
import * as http from 'http';

export class EtcdError extends Error {
  readonly retryable: boolean = false;
  constructor(message: string, readonly grpcCode?: number) {
    super(message);
    this.name = 'EtcdError';
  }
}

/** etcd could not be reached (refused, reset, timed out): nothing is known about the request's effect. */
export class EtcdUnavailableError extends EtcdError {
  override readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = 'EtcdUnavailableError';
  }
}

export interface KeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  /** Lease the key is attached to ('0' when none). */
  lease: string;
}

export interface RangeResult {
  /** The store's revision when the range was read. */
  revision: number;
  kvs: KeyValue[];
}

export type CompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';
export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';

export interface Compare {
  key: string;
  target: CompareTarget;
  result: CompareResult;
  /** Compared against the key's version / create_revision / mod_revision / value / lease, per target. */
  value: number | string;
}

export type TxnOp =
  | { put: { key: string; value: string; lease?: string } }
  | { get: { key: string; prefix?: boolean } }
  | { delete: { key: string; prefix?: boolean } };

export type TxnOpResult =
  | { kind: 'put' }
  | { kind: 'get'; kvs: KeyValue[] }
  | { kind: 'delete'; deleted: number };

export interface TxnResult {
  succeeded: boolean;
  revision: number;
  responses: TxnOpResult[];
}

export interface WatchEvent {
  type: 'PUT' | 'DELETE';
  kv: KeyValue;
}

export interface WatchHandle {
  cancel(): void;
}

export interface WatchCallbacks {
  /** Events of one revision batch, in revision order. */
  onEvents(events: WatchEvent[], revision: number): void;
  /**
   * The revision to resume from was compacted away: events were lost, the caller must re-read the
   * state (the watch goes on from the current revision).
   */
  onCompacted?(compactRevision: number): void;
  /** The stream broke; it reconnects by itself after retryMs. */
  onError?(err: Error): void;
}

export interface EtcdClientOptions {
  /** Per-request timeout (default 5000 ms). */
  timeoutMs?: number;
  /** Delay before a broken watch stream reconnects (default 200 ms). */
  watchRetryMs?: number;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined): string => (s === undefined ? '' : Buffer.from(s, 'base64').toString('utf8'));
const num = (s: string | number | undefined): number => (s === undefined ? 0 : Number(s));

/** The first key after every key that starts with prefix (etcd's range_end for a prefix). */
export function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, 'utf8');
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i] < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i]++;
      return end.toString('base64');
    }
  }
  return Buffer.from([0]).toString('base64'); // every key
}

function decodeKv(raw: any): KeyValue {
  return {
    key: unb64(raw.key),
    value: unb64(raw.value),
    createRevision: num(raw.create_revision),
    modRevision: num(raw.mod_revision),
    version: num(raw.version),
    lease: raw.lease ?? '0',
  };
}

function rangeBody(key: string, prefix: boolean): Record<string, string> {
  return prefix ? { key: b64(key), range_end: prefixEnd(key) } : { key: b64(key) };
}

function encodeOp(op: TxnOp): object {
  if ('put' in op) {
    const p: Record<string, string> = { key: b64(op.put.key), value: b64(op.put.value) };
    if (op.put.lease !== undefined) p.lease = op.put.lease;
    return { request_put: p };
  }
  if ('get' in op) return { request_range: rangeBody(op.get.key, op.get.prefix ?? false) };
  return { request_delete_range: rangeBody(op.delete.key, op.delete.prefix ?? false) };
}

const COMPARE_FIELD: Record<CompareTarget, string> = {
  VERSION: 'version',
  CREATE: 'create_revision',
  MOD: 'mod_revision',
  VALUE: 'value',
  LEASE: 'lease',
};

function encodeCompare(c: Compare): object {
  const value = c.target === 'VALUE' ? b64(String(c.value)) : String(c.value);
  return { key: b64(c.key), target: c.target, result: c.result, [COMPARE_FIELD[c.target]]: value };
}

function decodeOpResult(raw: any): TxnOpResult {
  if (raw.response_range !== undefined) return { kind: 'get', kvs: (raw.response_range.kvs ?? []).map(decodeKv) };
  if (raw.response_delete_range !== undefined) return { kind: 'delete', deleted: num(raw.response_delete_range.deleted) };
  return { kind: 'put' };
}

export class EtcdClient {
  private readonly url: URL;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly timeoutMs: number;
  private readonly watchRetryMs: number;

  constructor(readonly endpoint: string, options: EtcdClientOptions = {}) {
    this.url = new URL(endpoint);
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.watchRetryMs = options.watchRetryMs ?? 200;
  }

  /** Closes idle keep-alive sockets (watches are cancelled by their handles). */
  close(): void {
    this.agent.destroy();
  }

  async get(key: string): Promise<KeyValue | null> {
    const r = await this.rangeRaw(rangeBody(key, false));
    return r.kvs[0] ?? null;
  }

  /** Every key starting with prefix, in key order, with the revision they were read at. */
  range(prefix: string): Promise<RangeResult> {
    return this.rangeRaw(rangeBody(prefix, true));
  }

  async put(key: string, value: string, lease?: string): Promise<number> {
    const body: Record<string, string> = { key: b64(key), value: b64(value) };
    if (lease !== undefined) body.lease = lease;
    const r = await this.call('/v3/kv/put', body);
    return num(r.header?.revision);
  }

  /** Deletes key (or every key under it when prefix); returns how many keys went. */
  async delete(key: string, prefix = false): Promise<number> {
    const r = await this.call('/v3/kv/deleterange', rangeBody(key, prefix));
    return num(r.deleted);
  }

  /** If every compare holds, runs success, otherwise failure; atomically. */
  async txn(compares: Compare[], success: TxnOp[], failure: TxnOp[] = []): Promise<TxnResult> {
    const r = await this.call('/v3/kv/txn', {
      compare: compares.map(encodeCompare),
      success: success.map(encodeOp),
      failure: failure.map(encodeOp),
    });
    return {
      succeeded: r.succeeded === true,
      revision: num(r.header?.revision),
      responses: (r.responses ?? []).map(decodeOpResult),
    };
  }

  /** A new lease of ttlSeconds (etcd may raise it to its minimum); returns its id and granted TTL. */
  async leaseGrant(ttlSeconds: number): Promise<{ id: string; ttl: number }> {
    const r = await this.call('/v3/lease/grant', { TTL: String(ttlSeconds) });
    if (r.error) throw new EtcdError(`etcd lease grant failed: ${r.error}`);
    return { id: r.ID, ttl: num(r.TTL) };
  }

  /** One keep-alive: renews the lease and returns its TTL in seconds; 0 means the lease is gone. */
  async leaseKeepAlive(id: string): Promise<number> {
    const r = await this.call('/v3/lease/keepalive', { ID: id });
    // The gateway maps the streaming RPC onto one {"result": …} object per request message.
    const result = r.result ?? r;
    if (r.error) throw new EtcdError(`etcd lease keepalive failed: ${r.error.message ?? JSON.stringify(r.error)}`);
    return num(result.TTL);
  }

  /** Revokes a lease, deleting every key attached to it. A lease already gone is not an error. */
  async leaseRevoke(id: string): Promise<void> {
    try {
      await this.call('/v3/lease/revoke', { ID: id });
    } catch (err) {
      if (err instanceof EtcdError && !err.retryable && /lease not found/.test(err.message)) return;
      throw err;
    }
  }

  /**
   * Watches every key under prefix from fromRevision on. The stream reconnects by itself when it
   * breaks, resuming after the last revision it delivered, so no event is lost or repeated.
   */
  watch(prefix: string, fromRevision: number, callbacks: WatchCallbacks): WatchHandle {
    let next = fromRevision;
    let cancelled = false;
    let req: http.ClientRequest | null = null;
    let retry: NodeJS.Timeout | null = null;
    const reconnect = (err: Error) => {
      if (cancelled || retry !== null) return;
      req?.destroy();
      req = null;
      callbacks.onError?.(err);
      retry = setTimeout(() => {
        retry = null;
        open();
      }, this.watchRetryMs);
    };
    const handle = (msg: any) => {
      const res = msg.result;
      if (msg.error !== undefined || res === undefined) {
        reconnect(new EtcdError(`etcd watch failed: ${msg.error?.message ?? JSON.stringify(msg)}`));
        return;
      }
      const compact = num(res.compact_revision);
      if (compact > 0 && compact >= next) {
        // Our start revision is gone: resume from the compaction point and let the caller re-read.
        next = compact;
        callbacks.onCompacted?.(compact);
        reconnect(new EtcdError(`etcd watch: revision compacted at ${compact}`));
        return;
      }
      if (res.canceled === true) {
        reconnect(new EtcdError(`etcd watch cancelled: ${res.cancel_reason ?? 'no reason given'}`));
        return;
      }
      const events: WatchEvent[] = (res.events ?? []).map((e: any) => ({
        type: e.type === 'DELETE' ? 'DELETE' : 'PUT',
        kv: decodeKv(e.kv),
      }));
      if (events.length === 0) return;
      const last = events[events.length - 1].kv.modRevision;
      next = last + 1;
      callbacks.onEvents(events, last);
    };
    const open = () => {
      if (cancelled) return;
      const body = JSON.stringify({
        create_request: { ...rangeBody(prefix, true), start_revision: String(next) },
      });
      const r = http.request({
        host: this.url.hostname,
        port: this.url.port,
        path: '/v3/watch',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      req = r;
      r.on('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reconnect(new EtcdError(`etcd watch answered HTTP ${res.statusCode}`));
          return;
        }
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (chunk: string) => {
          if (req !== r) return;
          buf += chunk;
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line.length === 0) continue;
            let msg: any;
            try {
              msg = JSON.parse(line);
            } catch {
              reconnect(new EtcdError(`etcd watch sent unparsable line: ${line.slice(0, 200)}`));
              return;
            }
            handle(msg);
            if (req !== r) return;
          }
        });
        res.on('end', () => req === r && reconnect(new EtcdUnavailableError('etcd watch stream ended')));
        res.on('error', (err) => req === r && reconnect(unavailable(this.endpoint, err)));
      });
      r.on('error', (err) => req === r && reconnect(unavailable(this.endpoint, err)));
      r.end(body);
    };
    open();
    return {
      cancel: () => {
        cancelled = true;
        if (retry !== null) clearTimeout(retry);
        req?.destroy();
        req = null;
      },
    };
  }

  private async rangeRaw(body: object): Promise<RangeResult> {
    const r = await this.call('/v3/kv/range', body);
    return { revision: num(r.header?.revision), kvs: (r.kvs ?? []).map(decodeKv) };
  }

  /** POSTs one JSON request to the gateway and parses the answer. */
  private call(path: string, body: object): Promise<any> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.url.hostname,
          port: this.url.port,
          path,
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('error', (err) => reject(unavailable(this.endpoint, err)));
          res.on('end', () => {
            let parsed: any;
            try {
              parsed = JSON.parse(text);
            } catch {
              reject(new EtcdError(`etcd ${path} answered HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
              return;
            }
            if (res.statusCode !== 200) {
              const code = parsed.code as number | undefined;
              const message = `etcd ${path} failed: ${parsed.message ?? parsed.error ?? text}`;
              // 14 = UNAVAILABLE (no leader, shutting down): nothing was done, so retryable.
              reject(code === 14 ? new EtcdUnavailableError(message) : new EtcdError(message, code));
              return;
            }
            resolve(parsed);
          });
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err) => reject(unavailable(this.endpoint, err)));
      req.end(payload);
    });
  }
}

function unavailable(endpoint: string, err: Error & { code?: string }): EtcdUnavailableError {
  const what = err.code === 'ECONNREFUSED' ? 'connection refused' : err.message;
  return new EtcdUnavailableError(`etcd at ${endpoint} is unreachable (${what}); retry once it answers`);
}
