// SCRAM-SHA-256 server side (RFC 5802, RFC 7677), as PostgreSQL's SASL authentication uses it.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'crypto';

const ITERATIONS = 4096;

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}
function sha256(b: Buffer): Buffer {
  return createHash('sha256').update(b).digest();
}

/** What the server keeps per user instead of the password (PostgreSQL's SCRAM verifier). */
export interface ScramVerifier {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

export function makeVerifier(password: string, salt: Buffer = randomBytes(16), iterations = ITERATIONS): ScramVerifier {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  return { salt, iterations, storedKey: sha256(hmac(salted, 'Client Key')), serverKey: hmac(salted, 'Server Key') };
}

/** One SCRAM exchange; `verifier` is null for an unknown user (the exchange then fails at the proof, as PostgreSQL does). */
export class ScramExchange {
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private readonly verifier: ScramVerifier;

  constructor(verifier: ScramVerifier | null) {
    this.verifier = verifier ?? makeVerifier(randomBytes(16).toString('hex'));
  }

  /** client-first-message → server-first-message. Throws on malformed input. */
  first(clientFirst: string): string {
    const m = /^([nyp])(=[^,]*)?,[^,]*,(.*)$/.exec(clientFirst);
    if (m === null || m[1] === 'p') throw new Error('malformed SCRAM message (client-first)');
    this.clientFirstBare = m[3];
    const r = /(?:^|,)r=([^,]+)/.exec(this.clientFirstBare);
    if (r === null) throw new Error('malformed SCRAM message (no nonce)');
    this.nonce = r[1] + randomBytes(18).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${this.verifier.salt.toString('base64')},i=${this.verifier.iterations}`;
    return this.serverFirst;
  }

  /** client-final-message → server-final-message, or null when the proof is wrong. */
  final(clientFinal: string): string | null {
    const proofAt = clientFinal.lastIndexOf(',p=');
    if (proofAt === -1) throw new Error('malformed SCRAM message (no proof)');
    const withoutProof = clientFinal.slice(0, proofAt);
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
    const r = /(?:^|,)r=([^,]+)/.exec(withoutProof);
    if (r === null || r[1] !== this.nonce) return null;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const signature = hmac(this.verifier.storedKey, authMessage);
    if (proof.length !== signature.length) return null;
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i] ^ signature[i];
    if (!timingSafeEqual(sha256(clientKey), this.verifier.storedKey)) return null;
    return `v=${hmac(this.verifier.serverKey, authMessage).toString('base64')}`;
  }
}
