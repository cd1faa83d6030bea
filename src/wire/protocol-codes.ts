// PostgreSQL protocol v3 message type bytes (docs: "Message Formats").
export const Frontend = {
  query: 0x51, // 'Q' simple query
  parse: 0x50, // 'P'
  bind: 0x42, // 'B'
  describe: 0x44, // 'D'
  execute: 0x45, // 'E'
  sync: 0x53, // 'S'
  flush: 0x48, // 'H'
  close: 0x43, // 'C'
  terminate: 0x58, // 'X'
  copyData: 0x64, // 'd'
  copyDone: 0x63, // 'c'
  copyFail: 0x66, // 'f'
  password: 0x70, // 'p' (PasswordMessage, SASLInitialResponse, SASLResponse)
} as const;

export const Backend = {
  authentication: 0x52, // 'R'
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
} as const;

/** Special request codes sent in place of a protocol version in the first message. */
export const StartupCode = {
  protocol3: 196608, // 3.0
  cancelRequest: 80877102,
  sslRequest: 80877103,
  gssEncRequest: 80877104,
} as const;

/** Authentication request subtypes. */
export const AuthCode = {
  ok: 0,
  cleartextPassword: 3,
  sasl: 10,
  saslContinue: 11,
  saslFinal: 12,
} as const;

/** Longest startup packet accepted (PostgreSQL's MAX_STARTUP_PACKET_LENGTH). */
export const MAX_STARTUP_BYTES = 10000;
/** Longest regular message accepted (PostgreSQL's PQ_LARGE_MESSAGE_LIMIT is 1 GB). */
export const MAX_MESSAGE_BYTES = 1 << 30;
