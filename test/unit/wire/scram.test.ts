// SCRAM-SHA-256 server side: RFC 7677's worked example, PostgreSQL's stored-verifier format, and
// the failure paths (wrong password, unknown user, tampered messages).
import { expect } from 'chai';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'crypto';
import { ScramExchange, formatVerifier, makeVerifier, parseVerifier, verifierFor } from '../../../src/wire/scram';

/** A client as RFC 5802 describes it, to drive the server in tests. */
function clientProof(password: string, salt: Buffer, iterations: number, authMessage: string): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const signature = createHmac('sha256', storedKey).update(authMessage).digest();
  return Buffer.from(clientKey.map((b, i) => b ^ signature[i])).toString('base64');
}

function login(exchange: ScramExchange, password: string, clientNonce = randomBytes(18).toString('base64')): string | null {
  const bare = `n=,r=${clientNonce}`;
  const serverFirst = exchange.first(`n,,${bare}`);
  const attrs = Object.fromEntries(serverFirst.split(',').map((a) => [a[0], a.slice(2)]));
  const withoutProof = `c=biws,r=${attrs.r}`;
  const proof = clientProof(password, Buffer.from(attrs.s, 'base64'), Number(attrs.i), `${bare},${serverFirst},${withoutProof}`);
  return exchange.final(`${withoutProof},p=${proof}`);
}

describe('wire: SCRAM-SHA-256', () => {
  it("reproduces RFC 7677's example exchange byte for byte", () => {
    const verifier = makeVerifier('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096);
    const exchange = new ScramExchange(verifier, 'user', () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
    const serverFirst = exchange.first('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    expect(serverFirst).to.equal('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    const serverFinal = exchange.final('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    expect(serverFinal).to.equal('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  it('accepts the right password and refuses a wrong one', () => {
    const verifier = makeVerifier('s3cret');
    expect(login(new ScramExchange(verifier, 'alice'), 's3cret')).to.match(/^v=/);
    expect(login(new ScramExchange(verifier, 'alice'), 'wrong')).to.equal(null);
  });

  it('runs a full-looking exchange for an unknown user and fails it at the end, with a stable salt', () => {
    const a = new ScramExchange(undefined, 'mallory').first('n,,n=,r=abc');
    const b = new ScramExchange(undefined, 'mallory').first('n,,n=,r=abc');
    const salt = (s: string) => /s=([^,]+)/.exec(s)![1];
    expect(salt(a)).to.equal(salt(b));
    expect(login(new ScramExchange(undefined, 'mallory'), 'anything')).to.equal(null);
  });

  it('round-trips PostgreSQL\'s stored verifier format and accepts it in place of a password', () => {
    const v = makeVerifier('pencil');
    const text = formatVerifier(v);
    expect(text).to.match(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(parseVerifier(text)).to.deep.equal(v);
    expect(login(new ScramExchange(verifierFor(text), 'u'), 'pencil')).to.match(/^v=/);
    expect(parseVerifier('pencil')).to.equal(null);
  });

  it('rejects malformed and tampered messages', () => {
    const v = makeVerifier('pw');
    expect(() => new ScramExchange(v, 'u').first('garbage')).to.throw(/malformed SCRAM message/);
    expect(() => new ScramExchange(v, 'u').first('p=tls-server-end-point,,n=,r=abc')).to.throw(/channel binding/);
    expect(() => new ScramExchange(v, 'u').first('n,,n=,r=')).to.throw(/nonce/);
    const ex = new ScramExchange(v, 'u');
    const first = ex.first('n,,n=,r=abc');
    const nonce = /r=([^,]+)/.exec(first)![1];
    expect(() => ex.final(`c=biws,r=${nonce}x,p=AAAA`)).to.throw(/nonce/);
    const ex2 = new ScramExchange(v, 'u');
    const n2 = /r=([^,]+)/.exec(ex2.first('n,,n=,r=abc'))![1];
    // c= must echo the gs2 header "n,," (base64 "biws").
    expect(() => ex2.final(`c=eSws,r=${n2},p=AAAA`)).to.throw(/channel binding/);
  });
});
