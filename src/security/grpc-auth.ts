/**
 * gRPC authentication and authorisation, one grpc-js server interceptor in front of every
 * method (unary, server-streaming and bidi alike), so nothing runs before it has decided:
 *
 * - Who: `authorization: Basic <base64 user:password>` checked against the SCRAM store, or
 *   `authorization: Bearer <token>` from the static token list (--grpc-tokens); otherwise the
 *   client certificate's CN/SAN (mTLS; with ssl.client.auth=requested only if it chains to
 *   --tls-ca); otherwise User:ANONYMOUS. Bad credentials are UNAUTHENTICATED, always.
 * - What: with the authorizer on, every request message (each one of a stream) is checked
 *   against the method's rule (grpc-access.ts) before it reaches the service; a refusal is
 *   PERMISSION_DENIED and the message is dropped. List answers are filtered.
 *
 * Metadata is checked asynchronously (PBKDF2); grpc-js holds the call's messages until it is.
 * Verified Basic credentials are cached for a minute under an HMAC of the password (keyed per
 * process), so a busy client does not pay PBKDF2 per call.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../log.js';
import type { Authorizer } from './authorizer.js';
import { filterAnswer, isOpenMethod, refusal, type Can } from './grpc-access.js';
import { ANONYMOUS, userPrincipal } from './principal.js';
import type { ScramStore } from './scram-store.js';
import { certificateName, type TlsMaterial } from './tls-material.js';

export interface GrpcSecurity {
  store: ScramStore;
  authorizer: Authorizer | undefined;
  /** Bearer token → user name. */
  tokens: ReadonlyMap<string, string>;
  tls: TlsMaterial | undefined;
  logger: Logger;
}

const CACHE_MS = 60_000;

class Unauthenticated extends Error {}

export function grpcAuthInterceptor(security: GrpcSecurity): grpc.ServerInterceptor {
  const cacheKey = randomBytes(32);
  const verified = new Map<string, { mac: Buffer; until: number }>();

  async function basic(encoded: string): Promise<string> {
    const text = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon <= 0) throw new Unauthenticated('malformed Basic credentials');
    const user = text.slice(0, colon);
    const password = text.slice(colon + 1);
    const mac = createHmac('sha256', cacheKey).update(`${user}\u0000${password}`).digest();
    const cached = verified.get(user);
    if (cached !== undefined && cached.until > Date.now() && timingSafeEqual(cached.mac, mac)) return userPrincipal(user);
    if (!(await security.store.verifyPassword(user, password))) throw new Unauthenticated('invalid user name or password');
    if (verified.size > 10_000) verified.clear();
    verified.set(user, { mac, until: Date.now() + CACHE_MS });
    return userPrincipal(user);
  }

  function bearer(token: string): string {
    for (const [known, user] of security.tokens) {
      const a = Buffer.from(known);
      const b = Buffer.from(token);
      if (a.length === b.length && timingSafeEqual(a, b)) return userPrincipal(user);
    }
    throw new Unauthenticated('unknown bearer token');
  }

  function fromCertificate(call: grpc.ServerInterceptingCallInterface): string | undefined {
    const cert = call.getAuthContext().sslPeerCertificate;
    if (cert === undefined || security.tls === undefined || !('raw' in cert) || cert.raw === undefined) return undefined;
    const trusted = security.tls.clientAuth === 'required' || security.tls.issuedByCa(cert.raw);
    const name = trusted ? certificateName(cert) : undefined;
    return name === undefined ? undefined : userPrincipal(name);
  }

  async function principalOf(metadata: grpc.Metadata, call: grpc.ServerInterceptingCallInterface): Promise<string> {
    const header = metadata.get('authorization')[0];
    if (header !== undefined) {
      const value = header.toString();
      const [scheme, credentials] = [value.slice(0, value.indexOf(' ')).toLowerCase(), value.slice(value.indexOf(' ') + 1).trim()];
      if (scheme === 'basic') return basic(credentials);
      if (scheme === 'bearer') return bearer(credentials);
      throw new Unauthenticated(`unsupported authorization scheme "${scheme}" (Basic or Bearer)`);
    }
    return fromCertificate(call) ?? ANONYMOUS;
  }

  return (method, call) => {
    const path = method.path;
    let principal = ANONYMOUS;
    let refused = false;
    const host = call.getConnectionInfo().remoteAddress ?? '*';
    const can: Can = (resource, name, operation) => security.authorizer === undefined || security.authorizer.authorize({ principal, host, resource, name, operation });
    const refuse = (code: grpc.status, details: string) => {
      if (refused) return;
      refused = true;
      call.sendStatus({ code, details, metadata: new grpc.Metadata() });
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            if (isOpenMethod(path)) return nextMetadata(metadata);
            principalOf(metadata, call).then(
              (p) => {
                principal = p;
                nextMetadata(metadata);
              },
              (err: unknown) => {
                security.logger.info({ method: path, peer: call.getPeer(), why: (err as Error).message }, 'gRPC call refused: authentication failed');
                refuse(grpc.status.UNAUTHENTICATED, err instanceof Unauthenticated ? err.message : 'authentication failed');
              },
            );
          },
          onReceiveMessage: (message: unknown, nextMessage) => {
            if (refused) return;
            const why = security.authorizer === undefined ? undefined : refusal(path, (message ?? {}) as Record<string, unknown>, can);
            if (why !== undefined) {
              security.logger.info({ method: path, principal, why }, 'gRPC call refused: not authorized');
              return refuse(grpc.status.PERMISSION_DENIED, why);
            }
            nextMessage(message);
          },
        });
      },
      sendMessage: (message: unknown, next) => {
        next(security.authorizer === undefined || message === null || typeof message !== 'object' ? message : filterAnswer(path, message as Record<string, unknown>, can));
      },
    });
  };
}
