/**
 * SaslSession: the SASL state of one Kafka connection on a SASL_PLAINTEXT or SASL_SSL listener,
 * Kafka's SaslServerAuthenticator in small:
 *
 *   handshake ──SaslHandshake(mechanism)──► authenticate ──tokens…──► authenticated
 *        │                                      │ failure
 *        └──────────── failed ◄─────────────────┘   (the connection is closed after the answer)
 *
 * A v0 handshake means the tokens follow as raw size-prefixed frames (kafka-python 2.0); v1 means
 * they come inside SaslAuthenticate requests. Re-authentication (KIP-368): with
 * `connections.max.reauth.ms` > 0 the session expires that long after it was established; an
 * authenticated connection may run a v1 handshake + SaslAuthenticate again, which must name the
 * same principal. Mechanisms: PLAIN (RFC 4616) and SCRAM-SHA-256/512 against the ScramStore.
 * Owned by one connection; one exchange step at a time (the connection waits for each answer).
 */
import { ScramFailure, ScramServer } from './scram-server.js';
import { SCRAM_MECHANISMS, type ScramMechanism, type ScramStore } from './scram-store.js';
import { userPrincipal } from './principal.js';

export const SASL_MECHANISMS = ['PLAIN', ...SCRAM_MECHANISMS] as const;

export interface SaslServices {
  /** Enabled mechanisms, in the order the handshake lists them. */
  mechanisms: string[];
  store: ScramStore;
  /** connections.max.reauth.ms; 0 = sessions never expire. */
  reauthMs: number;
}

export type SaslState = 'handshake' | 'authenticate' | 'authenticated' | 'failed';

export class SaslSession {
  state: SaslState = 'handshake';
  /** Tokens come as raw frames (after a v0 handshake). */
  raw = false;
  principal: string | undefined;
  /** When the session expires (epoch ms), if re-authentication is on. */
  expiresAt: number | undefined;
  /** Why the exchange failed (for the log and SaslAuthenticate's errorMessage). */
  failure: string | undefined;
  private mechanism: string | undefined;
  private scram: ScramServer | undefined;
  private reauthenticating = false;

  constructor(private readonly services: SaslServices) {}

  get authenticated(): boolean {
    return this.state === 'authenticated';
  }

  /** True while an exchange runs (first authentication or a re-authentication). */
  get exchanging(): boolean {
    return this.state === 'authenticate';
  }

  /** SaslHandshake: 0, UNSUPPORTED_SASL_MECHANISM or ILLEGAL_SASL_STATE (names from the Kafka error table). */
  handshake(mechanism: string, version: number): 'NONE' | 'UNSUPPORTED_SASL_MECHANISM' | 'ILLEGAL_SASL_STATE' {
    const reauth = this.state === 'authenticated' && version >= 1 && this.services.reauthMs > 0;
    if (this.state !== 'handshake' && !reauth) return 'ILLEGAL_SASL_STATE';
    if (!this.services.mechanisms.includes(mechanism)) {
      this.fail(`mechanism ${mechanism} is not enabled (enabled: ${this.services.mechanisms.join(', ')})`);
      return 'UNSUPPORTED_SASL_MECHANISM';
    }
    if (reauth && mechanism !== this.mechanism) {
      this.fail('re-authentication must use the mechanism of the session');
      return 'ILLEGAL_SASL_STATE';
    }
    this.reauthenticating = reauth;
    this.mechanism = mechanism;
    this.raw = version === 0;
    this.scram = (SCRAM_MECHANISMS as readonly string[]).includes(mechanism) ? new ScramServer(mechanism as ScramMechanism, this.services.store) : undefined;
    this.state = 'authenticate';
    return 'NONE';
  }

  /**
   * One client token; resolves the server token to send back (empty for PLAIN's success).
   * On failure the state becomes `failed` and `failure` says why; the caller answers with
   * SASL_AUTHENTICATION_FAILED and closes.
   */
  async authenticate(token: Buffer, now = Date.now()): Promise<Buffer | undefined> {
    if (this.state !== 'authenticate') {
      this.fail('SaslAuthenticate before a SaslHandshake');
      return undefined;
    }
    try {
      if (this.scram !== undefined) {
        const reply = this.scram.step(token);
        const user = this.scram.authenticated;
        if (user !== undefined) this.established(userPrincipal(user), now);
        return this.hasFailed() ? undefined : reply;
      }
      const user = await this.plain(token);
      this.established(userPrincipal(user), now);
      return this.hasFailed() ? undefined : Buffer.alloc(0);
    } catch (err) {
      this.fail(err instanceof ScramFailure ? err.message : (err as Error).message);
      return undefined;
    }
  }

  /** Milliseconds the session lives (SaslAuthenticate v1+ sessionLifetimeMs); 0 = no expiry. */
  get lifetimeMs(): number {
    return this.services.reauthMs;
  }

  /** True once the session has expired: the connection must re-authenticate or be closed. */
  expired(now = Date.now()): boolean {
    return this.expiresAt !== undefined && now > this.expiresAt;
  }

  private established(principal: string, now: number): void {
    if (this.reauthenticating && principal !== this.principal) {
      this.fail(`re-authentication as ${principal} on a session of ${this.principal}`);
      return;
    }
    this.principal = principal;
    this.state = 'authenticated';
    this.reauthenticating = false;
    this.expiresAt = this.services.reauthMs > 0 ? now + this.services.reauthMs : undefined;
  }

  /** PLAIN (RFC 4616): `[authzid] NUL authcid NUL passwd`; the authzid, if any, must be the user. */
  private async plain(token: Buffer): Promise<string> {
    const parts = token.toString('utf8').split('\0');
    if (parts.length !== 3) throw new Error('malformed PLAIN message');
    const [authzid, user, password] = parts as [string, string, string];
    if (user.length === 0) throw new Error('PLAIN message without a user name');
    if (authzid.length > 0 && authzid !== user) throw new Error('PLAIN authorization id differs from the user name');
    if (!(await this.services.store.verifyPassword(user, password))) throw new Error('invalid credentials');
    return user;
  }

  private hasFailed(): boolean {
    return this.state === 'failed';
  }

  private fail(why: string): void {
    this.state = 'failed';
    this.failure = why;
  }
}
