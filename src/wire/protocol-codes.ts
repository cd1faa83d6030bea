// PostgreSQL protocol v3 constants (docs: "Frontend/Backend Protocol" → "Message Formats").
import { SqlStateCode } from '../types/sql-error';

/** Type bytes of messages the client sends. */
export const Frontend = {
  query: 0x51, // 'Q' simple query
  parse: 0x50, // 'P' create a prepared statement
  bind: 0x42, // 'B' create a portal from a statement + parameter values
  describe: 0x44, // 'D' describe a statement ('S') or portal ('P')
  execute: 0x45, // 'E' run a portal, optionally with a row limit
  sync: 0x53, // 'S' end of an extended-query batch: commit implicit txn, ReadyForQuery
  flush: 0x48, // 'H' send what is buffered without ending the batch
  close: 0x43, // 'C' close a statement or portal
  terminate: 0x58, // 'X' client is leaving
  copyData: 0x64, // 'd'
  copyDone: 0x63, // 'c'
  copyFail: 0x66, // 'f'
  functionCall: 0x46, // 'F' fast-path function call (not supported)
  password: 0x70, // 'p' PasswordMessage, SASLInitialResponse and SASLResponse share this byte
} as const;

/** Type bytes of messages the server sends. */
export const Backend = {
  authentication: 0x52, // 'R' (subtype in AuthCode)
  parameterStatus: 0x53, // 'S'
  backendKeyData: 0x4b, // 'K'
  readyForQuery: 0x5a, // 'Z'
  rowDescription: 0x54, // 'T'
  dataRow: 0x44, // 'D'
  commandComplete: 0x43, // 'C'
  emptyQueryResponse: 0x49, // 'I'
  errorResponse: 0x45, // 'E'
  noticeResponse: 0x4e, // 'N'
  parseComplete: 0x31, // '1'
  bindComplete: 0x32, // '2'
  closeComplete: 0x33, // '3'
  noData: 0x6e, // 'n'
  parameterDescription: 0x74, // 't'
  portalSuspended: 0x73, // 's'
  copyInResponse: 0x47, // 'G'
  copyOutResponse: 0x48, // 'H'
  copyData: 0x64, // 'd'
  copyDone: 0x63, // 'c'
  negotiateProtocolVersion: 0x76, // 'v'
} as const;

/** Codes sent in place of a protocol version in the first (untyped) message of a connection. */
export const StartupCode = {
  protocol3: 196608, // 3.0 = (3 << 16) | 0
  cancelRequest: 80877102, // (1234 << 16) | 5678
  sslRequest: 80877103, // (1234 << 16) | 5679
  gssEncRequest: 80877104, // (1234 << 16) | 5680
} as const;

/** Authentication request subtypes (int32 after the 'R'). */
export const AuthCode = {
  ok: 0,
  cleartextPassword: 3,
  sasl: 10, // list of mechanisms
  saslContinue: 11, // server-first-message
  saslFinal: 12, // server-final-message
} as const;

/** ErrorResponse / NoticeResponse field tags (docs: "Error and Notice Message Fields"). */
export const ErrorField = {
  severity: 0x53, // 'S' localized severity
  severityV: 0x56, // 'V' severity, never localized
  code: 0x43, // 'C' SQLSTATE
  message: 0x4d, // 'M'
  detail: 0x44, // 'D'
  hint: 0x48, // 'H'
  position: 0x50, // 'P' 1-based character index into the query string
  schema: 0x73, // 's'
  table: 0x74, // 't'
  column: 0x63, // 'c'
  dataType: 0x64, // 'd'
  constraint: 0x6e, // 'n'
} as const;

/** SQLSTATEs only the protocol layer raises (absent from the engine's SqlState table). */
export const WireState = {
  duplicatePreparedStatement: '42P05' as SqlStateCode,
  duplicateCursor: '42P03' as SqlStateCode,
};

/** Longest startup packet accepted (PostgreSQL's MAX_STARTUP_PACKET_LENGTH). */
export const MAX_STARTUP_BYTES = 10000;
/** Longest message that can legitimately carry data: Query, Parse, Bind, CopyData… (PQ_LARGE_MESSAGE_LIMIT, 1 GB - 1). */
export const MAX_MESSAGE_BYTES = 0x3fffffff;
/** Longest control message (Sync, Describe, Execute, Close…): PQ_SMALL_MESSAGE_LIMIT. */
export const MAX_SMALL_MESSAGE_BYTES = 10000;
/** Longest authentication message (PG_MAX_AUTH_TOKEN_LENGTH). */
export const MAX_AUTH_MESSAGE_BYTES = 65535;

/**
 * Length limit per frontend message type, as PostgreSQL's SocketBackend() applies it; a type not
 * listed is a protocol violation detected from the type byte alone (before its body arrives).
 */
export const MESSAGE_LIMITS: ReadonlyMap<number, number> = new Map([
  [Frontend.query, MAX_MESSAGE_BYTES],
  [Frontend.parse, MAX_MESSAGE_BYTES],
  [Frontend.bind, MAX_MESSAGE_BYTES],
  [Frontend.functionCall, MAX_MESSAGE_BYTES],
  [Frontend.copyData, MAX_MESSAGE_BYTES],
  [Frontend.copyDone, MAX_MESSAGE_BYTES],
  [Frontend.copyFail, MAX_MESSAGE_BYTES],
  [Frontend.describe, MAX_SMALL_MESSAGE_BYTES],
  [Frontend.execute, MAX_SMALL_MESSAGE_BYTES],
  [Frontend.close, MAX_SMALL_MESSAGE_BYTES],
  [Frontend.flush, MAX_SMALL_MESSAGE_BYTES],
  [Frontend.sync, MAX_SMALL_MESSAGE_BYTES],
  [Frontend.terminate, MAX_SMALL_MESSAGE_BYTES],
  [Frontend.password, MAX_AUTH_MESSAGE_BYTES],
]);
