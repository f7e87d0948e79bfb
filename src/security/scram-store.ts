/**
 * ScramStore: the users and their salted SCRAM credentials (RFC 5802: salt, iterations,
 * StoredKey, ServerKey per mechanism — never the password), kept as one JSON document
 * (`security/scram-credentials`) in a SecurityDoc — the metadata store on a single node, etcd in
 * cluster mode (other brokers' changes replace the memory copy as they are seen) — and in memory. PLAIN and gRPC Basic
 * check a password against the same credentials (PBKDF2 with the stored salt, constant-time
 * compare), so one store serves every mechanism.
 *
 * Concurrency: reads are synchronous from memory; writes are serialised through one promise
 * chain and reach the document (RocksDB synced, or etcd) before they resolve and before memory
 * changes; a write that lost a race with another broker is re-applied to that broker's value.
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { MetaStore } from '../../storage/index.js';
import { metaStoreDoc, type SecurityDoc } from './security-doc.js';

const pbkdf2Async = promisify(pbkdf2);

export const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type ScramMechanism = (typeof SCRAM_MECHANISMS)[number];

/** Kafka's default and minimum for SCRAM (4096), and its maximum (16384). */
export const DEFAULT_ITERATIONS = 4096;
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 16384;

const KEY = 'security/scram-credentials';

/** Kafka's ScramMechanism type codes (AlterUserScramCredentials, DescribeUserScramCredentials); 0 is UNKNOWN. */
export const MECHANISM_TYPE = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 } as const satisfies Record<ScramMechanism, number>;

export function mechanismOfType(type: number): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => MECHANISM_TYPE[m] === type);
}

/** One credential to store (`credential` given) or remove (`credential` undefined). */
export interface CredentialChange {
  user: string;
  mechanism: ScramMechanism;
  credential: ScramCredential | undefined;
}

export interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

export const hashOf = (m: ScramMechanism): 'sha256' | 'sha512' => (m === 'SCRAM-SHA-256' ? 'sha256' : 'sha512');
const lengthOf = (m: ScramMechanism): number => (m === 'SCRAM-SHA-256' ? 32 : 64);

export function hmac(m: ScramMechanism, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(hashOf(m), key).update(data).digest();
}

export function hash(m: ScramMechanism, data: Buffer): Buffer {
  return createHash(hashOf(m)).update(data).digest();
}

/** Hi(password, salt, i) of RFC 5802: PBKDF2 with HMAC of the mechanism's hash. */
export function saltPassword(m: ScramMechanism, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return pbkdf2Async(Buffer.from(password, 'utf8'), salt, iterations, lengthOf(m), hashOf(m));
}

/** The stored credential of a salted password (what AlterUserScramCredentials sends). */
export function credentialOf(m: ScramMechanism, saltedPassword: Buffer, salt: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(m, saltedPassword, 'Client Key');
  return { salt, iterations, storedKey: hash(m, clientKey), serverKey: hmac(m, saltedPassword, 'Server Key') };
}

interface StoredJson {
  users: Record<string, Partial<Record<ScramMechanism, { salt: string; iterations: number; storedKey: string; serverKey: string }>>>;
}

export class ScramStore {
  private users = new Map<string, Map<ScramMechanism, ScramCredential>>();
  private writes: Promise<void> = Promise.resolve();
  /** Keys for the decoy credentials of unknown users (same cost, no user enumeration). */
  private readonly decoySecret = randomBytes(32);

  private constructor(private readonly doc: SecurityDoc) {}

  /** The single-node store: a key of the metadata store. */
  static open(meta: MetaStore): Promise<ScramStore> {
    return ScramStore.openDoc(metaStoreDoc(meta, KEY));
  }

  /** A store on any SecurityDoc (cluster mode: an etcd key, so every broker sees the same users). */
  static async openDoc(doc: SecurityDoc): Promise<ScramStore> {
    const store = new ScramStore(doc);
    store.users = parseUsers(await doc.read());
    doc.onChange((value) => (store.users = parseUsers(value)));
    return store;
  }

  get(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.users.get(user)?.get(mechanism);
  }

  /** A credential for a user that does not exist: the exchange runs as usual and fails at the proof. */
  decoy(user: string, mechanism: ScramMechanism): ScramCredential {
    const salt = createHmac('sha256', this.decoySecret).update(`${mechanism}:${user}`).digest();
    return { salt, iterations: DEFAULT_ITERATIONS, storedKey: randomBytes(lengthOf(mechanism)), serverKey: randomBytes(lengthOf(mechanism)) };
  }

  /** Users and the mechanisms each has a credential for. */
  list(): Array<{ user: string; credentials: Array<{ mechanism: ScramMechanism; iterations: number }> }> {
    return [...this.users]
      .map(([user, m]) => ({ user, credentials: [...m].map(([mechanism, c]) => ({ mechanism, iterations: c.iterations })) }))
      .sort((x, y) => (x.user < y.user ? -1 : x.user > y.user ? 1 : 0));
  }

  /** Salts `password` afresh for each mechanism and stores the credentials (replacing old ones). */
  async setPassword(user: string, password: string, mechanisms: readonly ScramMechanism[] = SCRAM_MECHANISMS, iterations = DEFAULT_ITERATIONS): Promise<void> {
    const creds = await Promise.all(
      mechanisms.map(async (m) => {
        const salt = randomBytes(24);
        return [m, credentialOf(m, await saltPassword(m, password, salt, iterations), salt, iterations)] as const;
      }),
    );
    await this.update((users) => {
      const m = users.get(user) ?? new Map<ScramMechanism, ScramCredential>();
      for (const [mech, c] of creds) m.set(mech, c);
      users.set(user, m);
    });
  }

  /** Stores one credential as given (AlterUserScramCredentials upsertion). */
  async setCredential(user: string, mechanism: ScramMechanism, credential: ScramCredential): Promise<void> {
    await this.update((users) => {
      const m = users.get(user) ?? new Map<ScramMechanism, ScramCredential>();
      m.set(mechanism, credential);
      users.set(user, m);
    });
  }

  /** Applies every change in one write: all of them are stored, or (the write failed) none. */
  async alter(changes: readonly CredentialChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.update((users) => {
      for (const c of changes) {
        const m = users.get(c.user) ?? new Map<ScramMechanism, ScramCredential>();
        if (c.credential === undefined) m.delete(c.mechanism);
        else m.set(c.mechanism, c.credential);
        if (m.size === 0) users.delete(c.user);
        else users.set(c.user, m);
      }
    });
  }

  /** Removes one mechanism's credential, or every credential of the user; false when there was none. */
  async remove(user: string, mechanism?: ScramMechanism): Promise<boolean> {
    let removed = false;
    await this.update((users) => {
      const m = users.get(user);
      if (m === undefined) return;
      if (mechanism === undefined) {
        removed = users.delete(user);
        return;
      }
      removed = m.delete(mechanism);
      if (m.size === 0) users.delete(user);
    });
    return removed;
  }

  /**
   * Whether `password` is the user's (PLAIN, gRPC Basic): re-derives the StoredKey with the stored
   * salt and compares in constant time. Unknown users cost the same PBKDF2 work.
   */
  async verifyPassword(user: string, password: string): Promise<boolean> {
    const known = this.users.get(user);
    const mechanism: ScramMechanism = known?.has('SCRAM-SHA-256') === true || known === undefined ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512';
    const credential = known?.get(mechanism) ?? this.decoy(user, mechanism);
    const salted = await saltPassword(mechanism, password, credential.salt, credential.iterations);
    const candidate = credentialOf(mechanism, salted, credential.salt, credential.iterations).storedKey;
    return timingSafeEqual(candidate, credential.storedKey) && known !== undefined;
  }

  private update(change: (users: Map<string, Map<ScramMechanism, ScramCredential>>) => void): Promise<void> {
    const run = this.writes.then(async () => {
      for (;;) {
        const next = new Map([...this.users].map(([u, m]) => [u, new Map(m)]));
        change(next);
        if (await this.doc.write(Buffer.from(JSON.stringify(toJson(next))))) {
          this.users = next;
          return;
        }
        // Another broker wrote first (cluster mode): start again from its value.
        this.users = parseUsers(await this.doc.read());
      }
    });
    this.writes = run.catch(() => undefined);
    return run;
  }
}

function parseUsers(raw: Buffer | undefined): Map<string, Map<ScramMechanism, ScramCredential>> {
  const users = new Map<string, Map<ScramMechanism, ScramCredential>>();
  if (raw === undefined) return users;
  const doc = JSON.parse(raw.toString('utf8')) as StoredJson;
  for (const [user, mechs] of Object.entries(doc.users)) {
    const m = new Map<ScramMechanism, ScramCredential>();
    for (const mech of SCRAM_MECHANISMS) {
      const c = mechs[mech];
      if (c !== undefined) m.set(mech, { salt: Buffer.from(c.salt, 'base64'), iterations: c.iterations, storedKey: Buffer.from(c.storedKey, 'base64'), serverKey: Buffer.from(c.serverKey, 'base64') });
    }
    users.set(user, m);
  }
  return users;
}

function toJson(users: Map<string, Map<ScramMechanism, ScramCredential>>): StoredJson {
  const out: StoredJson = { users: {} };
  for (const [user, m] of users) {
    const entry: StoredJson['users'][string] = {};
    for (const [mech, c] of m) entry[mech] = { salt: c.salt.toString('base64'), iterations: c.iterations, storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64') };
    out.users[user] = entry;
  }
  return out;
}
