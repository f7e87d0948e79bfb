/**
 * The server side of one SCRAM exchange (RFC 5802, RFC 7677 for SHA-256; SHA-512 likewise):
 * client-first → server-first → client-final → server-final. Checks, each failing the exchange:
 * no channel binding (gs2 `n` or `y` only), an authzid equal to the user if given, the
 * client-final's channel binding equal to the gs2 header, the nonce in client-final equal to
 * client nonce + our nonce (CVE-2024-56128; see nonceMatches for librdkafka's form), and the proof, compared with timingSafeEqual
 * (CVE-2021-38153). Unknown users get a decoy credential, so they fail at the proof like a wrong
 * password does. One instance per exchange; not shared; synchronous after construction.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hash, hmac, type ScramCredential, type ScramMechanism, type ScramStore } from './scram-store.js';

export class ScramFailure extends Error {
  override readonly name = 'ScramFailure';
}

/** Parses `k=v,k=v` attributes (values may contain '='). */
function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) throw new ScramFailure(`malformed SCRAM attribute "${part.slice(0, 20)}"`);
    out.set(part[0]!, part.slice(2));
  }
  return out;
}

/** saslname of RFC 5802: `=2C` is ',' and `=3D` is '='; any other '=' is invalid. */
function saslName(text: string): string {
  if (/=(?!2C|3D)/.test(text)) throw new ScramFailure('malformed SCRAM user name');
  return text.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

const PRINTABLE_NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;
/** 18 random bytes in base64url. */
const SERVER_NONCE_CHARS = 24;

export class ScramServer {
  private state: 'first' | 'final' | 'done' = 'first';
  private user = '';
  private credential: ScramCredential | undefined;
  private known = false;
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private gs2Header = '';

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly store: ScramStore,
  ) {}

  /** The authenticated user, once `final` succeeded. */
  get authenticated(): string | undefined {
    return this.state === 'done' ? this.user : undefined;
  }

  /** Answers one client message; throws ScramFailure when the exchange fails. */
  step(message: Buffer): Buffer {
    const text = message.toString('utf8');
    if (this.state === 'first') return this.first(text);
    if (this.state === 'final') return this.final(text);
    throw new ScramFailure('SCRAM exchange already complete');
  }

  private first(text: string): Buffer {
    // gs2-header: cbind-flag "," [authzid] ","
    const m = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(text);
    if (m === null) throw new ScramFailure(text.startsWith('p=') ? 'SCRAM channel binding is not supported' : 'malformed SCRAM client-first message');
    this.gs2Header = `${m[1]},${m[2] ?? ''},`;
    this.clientFirstBare = m[3]!;
    const attrs = attributes(this.clientFirstBare);
    if (attrs.has('m')) throw new ScramFailure('SCRAM mandatory extensions are not supported');
    const user = attrs.get('n');
    const clientNonce = attrs.get('r');
    if (user === undefined || user.length === 0 || clientNonce === undefined || !PRINTABLE_NONCE.test(clientNonce)) throw new ScramFailure('SCRAM client-first lacks a user name or nonce');
    this.user = saslName(user);
    if (m[2] !== undefined && saslName(m[2].slice(2)) !== this.user) throw new ScramFailure('SCRAM authorization id differs from the user name');
    const stored = this.store.get(this.user, this.mechanism);
    this.known = stored !== undefined;
    this.credential = stored ?? this.store.decoy(this.user, this.mechanism);
    this.nonce = clientNonce + randomBytes(18).toString('base64url'); // SERVER_NONCE_CHARS characters
    this.serverFirst = `r=${this.nonce},s=${this.credential.salt.toString('base64')},i=${this.credential.iterations}`;
    this.state = 'final';
    return Buffer.from(this.serverFirst, 'utf8');
  }

  /**
   * RFC 5802: the client-final nonce is the server-first nonce, exactly. One other exact form is
   * accepted: librdkafka before 2.6.1 (kcat, confluent-kafka-python 1.x/2.0) sends its own nonce
   * once more in front (`cnonce + cnonce + snonce`). Not a suffix match (Kafka's `endsWith`
   * before the CVE-2024-56128 fix accepted any prefix): only these two strings pass.
   */
  private nonceMatches(sent: string | undefined): boolean {
    if (sent === undefined) return false;
    const clientNonce = this.nonce.slice(0, this.nonce.length - SERVER_NONCE_CHARS);
    return sent === this.nonce || sent === clientNonce + this.nonce;
  }

  private final(text: string): Buffer {
    const credential = this.credential!;
    const proofAt = text.lastIndexOf(',p=');
    if (proofAt < 0) throw new ScramFailure('SCRAM client-final lacks a proof');
    const withoutProof = text.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    const channel = attrs.get('c');
    if (channel === undefined || !constantEqual(Buffer.from(channel, 'base64'), Buffer.from(this.gs2Header, 'utf8'))) throw new ScramFailure('SCRAM channel binding does not match');
    if (!this.nonceMatches(attrs.get('r'))) throw new ScramFailure('SCRAM nonce does not match the one of this exchange');
    const proof = Buffer.from(text.slice(proofAt + 3), 'base64');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.mechanism, credential.storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw new ScramFailure('invalid SCRAM proof');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i += 1) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const ok = timingSafeEqual(hash(this.mechanism, clientKey), credential.storedKey);
    if (!ok || !this.known) throw new ScramFailure('invalid credentials');
    this.state = 'done';
    return Buffer.from(`v=${hmac(this.mechanism, credential.serverKey, authMessage).toString('base64')}`, 'utf8');
  }
}

function constantEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
