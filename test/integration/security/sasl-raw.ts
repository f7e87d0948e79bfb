/**
 * The client side of SASL PLAIN and SCRAM (RFC 5802) over RawClient, for tests that must send
 * exactly what they choose (a wrong proof, a tampered nonce). Test helper only.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import type { RawClient } from '../kafka/raw-client.js';

export interface AuthResult {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  sessionLifetimeMs: bigint;
}

export async function handshake(c: RawClient, mechanism: string, version = 1): Promise<{ errorCode: number; mechanisms: string[] }> {
  return c.request(API_KEY.SaslHandshake, version, { mechanism });
}

export function authenticate(c: RawClient, token: Buffer | string, version = 1): Promise<AuthResult> {
  return c.request<AuthResult>(API_KEY.SaslAuthenticate, version, { authBytes: Buffer.from(token) });
}

export async function plain(c: RawClient, user: string, password: string): Promise<AuthResult> {
  const h = await handshake(c, 'PLAIN');
  if (h.errorCode !== 0) throw new Error(`handshake ${h.errorCode}`);
  return authenticate(c, `\0${user}\0${password}`);
}

/** A full SCRAM exchange; `tamper` may change the client-final nonce before it is sent. */
export async function scram(c: RawClient, mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', user: string, password: string, tamper: (nonce: string) => string = (n) => n): Promise<AuthResult> {
  const algo = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
  const h = await handshake(c, mechanism);
  if (h.errorCode !== 0) throw new Error(`handshake ${h.errorCode}`);
  const clientNonce = randomBytes(18).toString('base64');
  const clientFirstBare = `n=${user},r=${clientNonce}`;
  const first = await authenticate(c, `n,,${clientFirstBare}`);
  if (first.errorCode !== 0) return first;
  const serverFirst = first.authBytes.toString();
  const attrs = new Map(serverFirst.split(',').map((p) => [p[0]!, p.slice(2)]));
  const salted = pbkdf2Sync(password, Buffer.from(attrs.get('s')!, 'base64'), Number(attrs.get('i')), algo === 'sha256' ? 32 : 64, algo);
  const clientKey = createHmac(algo, salted).update('Client Key').digest();
  const storedKey = createHash(algo).update(clientKey).digest();
  const withoutProof = `c=biws,r=${tamper(attrs.get('r')!)}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const signature = createHmac(algo, storedKey).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
  return authenticate(c, `${withoutProof},p=${proof.toString('base64')}`);
}
