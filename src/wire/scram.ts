// SCRAM-SHA-256 server side (RFC 5802, RFC 7677) as PostgreSQL's SASL authentication uses it.
// The server keeps only salted keys (a "verifier"), never the password, once startup is done.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'crypto';
import { ProtocolViolation } from './message-reader';

export const SCRAM_MECHANISM = 'SCRAM-SHA-256';
/** PostgreSQL's default scram_iterations. */
const ITERATIONS = 4096;
const NONCE_BYTES = 18;

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}
function sha256(b: Buffer): Buffer {
  return createHash('sha256').update(b).digest();
}

/** What the server stores per user instead of the password (PostgreSQL's pg_authid.rolpassword). */
export interface ScramVerifier {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

/**
 * Derives the verifier of a password. SASLprep is approximated by NFKC normalization (PostgreSQL
 * falls back to the raw bytes when a password is not valid SASLprep input; ASCII is unaffected).
 */
export function makeVerifier(password: string, salt: Buffer = randomBytes(16), iterations = ITERATIONS): ScramVerifier {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  return { salt, iterations, storedKey: sha256(hmac(salted, 'Client Key')), serverKey: hmac(salted, 'Server Key') };
}

/** Parses PostgreSQL's stored form `SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>`, or null. */
export function parseVerifier(text: string): ScramVerifier | null {
  const m = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(text);
  if (m === null) return null;
  const storedKey = Buffer.from(m[3], 'base64');
  const serverKey = Buffer.from(m[4], 'base64');
  if (storedKey.length !== 32 || serverKey.length !== 32) return null;
  return { iterations: Number(m[1]), salt: Buffer.from(m[2], 'base64'), storedKey, serverKey };
}

/** A configured password: either PostgreSQL's stored verifier form or a plain password to derive one from. */
export function verifierFor(passwordOrVerifier: string): ScramVerifier {
  return parseVerifier(passwordOrVerifier) ?? makeVerifier(passwordOrVerifier);
}

/** Formats a verifier the way PostgreSQL stores it (so conf files need not hold plain passwords). */
export function formatVerifier(v: ScramVerifier): string {
  return `SCRAM-SHA-256$${v.iterations}:${v.salt.toString('base64')}$${v.storedKey.toString('base64')}:${v.serverKey.toString('base64')}`;
}

/** Per-process secret so a mock exchange for an unknown user always offers the same salt. */
const MOCK_SECRET = randomBytes(32);

/**
 * A verifier for a user that does not exist: the exchange runs to the end and fails at the proof,
 * so a client cannot tell an unknown user from a wrong password (PostgreSQL's scram_mock_salt).
 */
function mockVerifier(user: string): ScramVerifier {
  return { salt: hmac(MOCK_SECRET, user).subarray(0, 16), iterations: ITERATIONS, storedKey: randomBytes(32), serverKey: randomBytes(32) };
}

function malformed(detail: string): ProtocolViolation {
  return new ProtocolViolation(`malformed SCRAM message (${detail})`);
}

/** One SCRAM exchange: first() answers the client-first message, final() checks the proof. */
export class ScramExchange {
  private clientFirstBare = '';
  private serverFirst = '';
  private gs2Header = '';
  private nonce = '';
  private readonly verifier: ScramVerifier;
  private readonly known: boolean;

  /** `serverNonce` is for tests that replay RFC 7677's example; normally it is random. */
  constructor(verifier: ScramVerifier | undefined, user: string, private readonly serverNonce = () => randomBytes(NONCE_BYTES).toString('base64')) {
    this.known = verifier !== undefined;
    this.verifier = verifier ?? mockVerifier(user);
  }

  /** client-first-message → server-first-message. Throws ProtocolViolation on malformed input. */
  first(clientFirst: string): string {
    // gs2-header = gs2-cbind-flag "," [ authzid ] ","  then client-first-bare = [reserved-mext ","] username "," nonce ["," extensions]
    const m = /^(n|y|p=[^,]*),(a=[^,]*)?,(.*)$/s.exec(clientFirst);
    if (m === null) throw malformed('client-first-message');
    // We do not offer SCRAM-SHA-256-PLUS (no TLS), so a client may not insist on channel binding.
    if (m[1].startsWith('p=')) throw new ProtocolViolation('channel binding is not supported without SSL');
    if (m[2] !== undefined) throw new ProtocolViolation('client uses authorization identity, but it is not supported');
    this.gs2Header = `${m[1]},${m[2] ?? ''},`;
    this.clientFirstBare = m[3];
    const attrs = this.clientFirstBare.split(',');
    if (attrs[0].startsWith('m=')) throw new ProtocolViolation('client requires an unsupported SCRAM extension');
    if (!attrs[0].startsWith('n=')) throw malformed('expected username');
    const r = attrs[1];
    if (r === undefined || !r.startsWith('r=') || r.length === 2 || !/^[\x21-\x2b\x2d-\x7e]+$/.test(r.slice(2))) throw malformed('expected client nonce');
    this.nonce = r.slice(2) + this.serverNonce();
    this.serverFirst = `r=${this.nonce},s=${this.verifier.salt.toString('base64')},i=${this.verifier.iterations}`;
    return this.serverFirst;
  }

  /** client-final-message → server-final-message, or null when authentication fails. */
  final(clientFinal: string): string | null {
    const proofAt = clientFinal.lastIndexOf(',p=');
    if (proofAt === -1) throw malformed('could not find proof');
    const withoutProof = clientFinal.slice(0, proofAt);
    const attrs = withoutProof.split(',');
    if (attrs.length < 2 || !attrs[0].startsWith('c=') || !attrs[1].startsWith('r=')) throw malformed('client-final-message');
    // The channel-binding attribute must echo the gs2 header (no binding data, as we offer none).
    if (Buffer.from(attrs[0].slice(2), 'base64').toString('latin1') !== this.gs2Header)
      throw new ProtocolViolation('SCRAM channel binding check failed');
    if (attrs[1].slice(2) !== this.nonce) throw new ProtocolViolation('SCRAM nonce mismatch');
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const signature = hmac(this.verifier.storedKey, authMessage);
    if (proof.length !== signature.length) throw malformed('malformed proof in client-final-message');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i] ^ signature[i];
    if (!timingSafeEqual(sha256(clientKey), this.verifier.storedKey) || !this.known) return null;
    return `v=${hmac(this.verifier.serverKey, authMessage).toString('base64')}`;
  }
}
