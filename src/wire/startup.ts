// The startup phase of a connection: SSL/GSS refusal, CancelRequest, the StartupMessage with its
// protocol version and parameters, and authentication (trust or SCRAM-SHA-256).
import { DatabaseHandle } from '../engine/session-api';
import { SqlError, SqlState } from '../types/sql-error';
import { BodyReader, ProtocolViolation } from './message-reader';
import { AuthCode, Backend, Frontend, StartupCode } from './protocol-codes';
import { SCRAM_MECHANISM, ScramExchange, ScramVerifier } from './scram';
import { ConnectionClosed, SocketIO } from './socket-io';

export interface AuthSettings {
  method: 'trust' | 'scram-sha-256';
  /** SCRAM verifiers by user name (scram-sha-256); trust accepts any user name. */
  verifiers: Map<string, ScramVerifier>;
}

/** What a successful startup yields: who connects to what, with which settings. */
export interface StartupRequest {
  user: string;
  database: string;
  applicationName?: string;
  /** Every other startup parameter, plus the `-c name=value` settings found in `options`. */
  parameters: Record<string, string>;
}

export interface StartupContext {
  db: DatabaseHandle;
  auth: AuthSettings;
  /** Called once the startup packet is read; returns an error when the server cannot take one more client. */
  admit(): SqlError | null;
}

function fatal(code: SqlError['code'], message: string, hint?: string): SqlError {
  return new SqlError(code, message, { severity: 'FATAL', hint });
}

/**
 * Runs the startup phase. Returns the request once the client is authenticated (nothing of the
 * AuthenticationOk/ParameterStatus answer is sent yet), or null when the connection is done
 * (CancelRequest, or the client left). Throws a FATAL SqlError or ProtocolViolation to refuse.
 */
export async function runStartup(io: SocketIO, ctx: StartupContext): Promise<StartupRequest | null> {
  for (;;) {
    const m = await io.readMessage();
    if (m === null) return null;
    const r = new BodyReader(m.body);
    const code = r.int32();
    if (code === StartupCode.sslRequest || code === StartupCode.gssEncRequest) {
      // No TLS/GSS encryption here: 'N' tells the client to go on in the clear (or give up).
      io.out.int8(0x4e);
      await io.flush();
      continue;
    }
    if (code === StartupCode.cancelRequest) {
      // Answered by closing, whatever the outcome: a wrong key must not be distinguishable.
      if (r.remaining >= 8) ctx.db.findSession(r.int32(), r.int32())?.cancel();
      return null;
    }
    io.reader.startupPhase = false;
    const request = parseStartupPacket(io, code, r);
    const refusal = ctx.admit();
    if (refusal !== null) throw refusal;
    await authenticate(io, ctx.auth, request.user);
    return request;
  }
}

function parseStartupPacket(io: SocketIO, version: number, r: BodyReader): StartupRequest {
  const major = version >>> 16;
  const minor = version & 0xffff;
  if (major !== 3) throw fatal(SqlState.featureNotSupported, `unsupported frontend protocol ${major}.${minor}: server supports 3.0 to 3.0`);
  const params: Record<string, string> = {};
  const unrecognizedOptions: string[] = [];
  for (;;) {
    if (r.remaining === 0) throw new ProtocolViolation('invalid startup packet layout: expected terminator as last byte');
    const name = r.cstring();
    if (name === '') break;
    const value = r.cstring();
    // _pq_.* are protocol extensions; we know none of them and say so below.
    if (name.startsWith('_pq_.')) unrecognizedOptions.push(name);
    else params[name] = value;
  }
  if (r.remaining !== 0) throw new ProtocolViolation('invalid startup packet layout: expected terminator as last byte');
  if (minor > 0 || unrecognizedOptions.length > 0) {
    // NegotiateProtocolVersion: the newest minor version we speak, and the options we ignored.
    const w = io.out.begin(Backend.negotiateProtocolVersion).int32(0).int32(unrecognizedOptions.length);
    for (const o of unrecognizedOptions) w.cstring(o);
    w.end();
  }
  const user = params.user;
  if (user === undefined || user === '') throw fatal(SqlState.invalidAuthorizationSpecification, 'no PostgreSQL user name specified in startup packet');
  if (params.replication !== undefined && !/^(false|off|no|0)$/i.test(params.replication))
    throw fatal(SqlState.featureNotSupported, 'replication connections are not supported');
  const parameters: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (k !== 'user' && k !== 'database' && k !== 'replication') parameters[k] = v;
  if (params.options !== undefined) Object.assign(parameters, parseOptions(params.options));
  return { user, database: params.database || user, applicationName: params.application_name, parameters };
}

/**
 * The `options` startup parameter (PGOPTIONS): command-line style settings, `-c name=value` or
 * `--name=value`, separated by whitespace, with backslash escaping a space (PostgreSQL's pg_split_opts).
 */
export function parseOptions(options: string): Record<string, string> {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < options.length; i++) {
    const ch = options[i];
    if (ch === '\\' && i + 1 < options.length) {
      cur += options[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  const out: Record<string, string> = {};
  const setting = (kv: string, word: string) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw fatal(SqlState.syntaxError, `invalid command-line argument for server process: ${word}`, 'Try "-c name=value".');
    out[kv.slice(0, eq).replace(/-/g, '_')] = kv.slice(eq + 1);
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '-c') {
      if (i + 1 >= words.length) throw fatal(SqlState.syntaxError, 'invalid command-line argument for server process: -c', 'Try "-c name=value".');
      setting(words[++i], w);
    } else if (w.startsWith('-c')) setting(w.slice(2), w);
    else if (w.startsWith('--')) setting(w.slice(2), w);
    else throw fatal(SqlState.syntaxError, `invalid command-line argument for server process: ${w}`, 'Try "-c name=value".');
  }
  return out;
}

async function authenticate(io: SocketIO, auth: AuthSettings, user: string): Promise<void> {
  if (auth.method === 'trust') return;
  const failed = () => fatal(SqlState.invalidPassword, `password authentication failed for user "${user}"`);
  const exchange = new ScramExchange(auth.verifiers.get(user), user);
  io.out.begin(Backend.authentication).int32(AuthCode.sasl).cstring(SCRAM_MECHANISM).int8(0).end();
  await io.flush();

  const first = await readAuthMessage(io);
  const r1 = new BodyReader(first);
  const mechanism = r1.cstring();
  if (mechanism !== SCRAM_MECHANISM) throw fatal(SqlState.protocolViolation, 'client selected an invalid SASL authentication mechanism');
  const len = r1.int32();
  // Length -1 means "no initial response"; SCRAM always has one.
  if (len < 0) throw new ProtocolViolation('malformed SCRAM message (missing client-first-message)');
  const serverFirst = exchange.first(r1.bytes(len).toString('utf8'));
  io.out.begin(Backend.authentication).int32(AuthCode.saslContinue).bytes(Buffer.from(serverFirst)).end();
  await io.flush();

  const second = await readAuthMessage(io);
  const serverFinal = exchange.final(second.toString('utf8'));
  if (serverFinal === null) throw failed();
  io.out.begin(Backend.authentication).int32(AuthCode.saslFinal).bytes(Buffer.from(serverFinal)).end();
}

/** The body of the next authentication ('p') message (a client may hang up at the password prompt: ConnectionClosed). */
async function readAuthMessage(io: SocketIO): Promise<Buffer> {
  const m = await io.readMessage();
  if (m === null) throw new ConnectionClosed();
  if (m.type !== Frontend.password) throw fatal(SqlState.protocolViolation, `expected SASL response, got message type ${m.type}`);
  return m.body;
}
