/**
 * The broker's security parts, built once from the config at start: the Kafka listeners, the TLS
 * material (shared by every TLS listener and watched for changes), and the start-up warning for
 * listeners reachable beyond loopback without authentication; in cluster mode the etcd client of
 * the users and ACLs documents. Owned by the Broker, which closes it at stop; `reloadTls` is what
 * SIGHUP calls.
 */
import { readFile } from 'node:fs/promises';
import type { MetaStore } from '../../storage/index.js';
import type { BrokerConfig } from '../config.js';
import type { Logger } from '../log.js';
import { isLoopback, resolveListeners, usesSasl, type ListenerSpec } from './listeners.js';
import { Authorizer, parseSuperUsers } from './authorizer.js';
import { SASL_MECHANISMS, type SaslServices } from './sasl-session.js';
import { ScramStore } from './scram-store.js';
import { TlsMaterial } from './tls-material.js';
import { EtcdSecurityDocs } from './etcd-security-doc.js';

export interface BrokerSecurity {
  listeners: ListenerSpec[];
  tls: TlsMaterial | undefined;
  /** Cluster mode (--etcd): the users and ACLs are etcd documents shared by every broker. */
  docs: EtcdSecurityDocs | undefined;
  reloadTls(): boolean;
  close(): void;
}

export function createBrokerSecurity(config: BrokerConfig, logger: Logger): BrokerSecurity {
  const listeners = resolveListeners(config);
  saslMechanismsOf(config);
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) throw new Error('--tls-cert and --tls-key go together: give both or neither');
  const tls =
    config.tlsCert !== undefined && config.tlsKey !== undefined
      ? new TlsMaterial({ cert: config.tlsCert, key: config.tlsKey, ca: config.tlsCa }, config.sslClientAuth, logger.child({ component: 'tls' }))
      : undefined;
  if (tls === undefined && config.tlsCa !== undefined) throw new Error('--tls-ca needs --tls-cert and --tls-key');
  tls?.watchFiles();
  const endpoints = (config.etcd ?? '').split(',').map((e) => e.trim()).filter((e) => e.length > 0);
  const docs = endpoints.length === 0 ? undefined : new EtcdSecurityDocs(endpoints, logger.child({ component: 'security-docs' }));
  return {
    listeners,
    tls,
    docs,
    reloadTls: () => tls?.reload() ?? false,
    close: () => {
      tls?.close();
      void docs?.close().catch((err: unknown) => logger.warn({ err }, 'closing the etcd client of the security documents failed'));
    },
  };
}

/** Logs a warning for every listener bound beyond loopback that lets clients in unauthenticated. */
export function warnUnauthenticated(config: BrokerConfig, listeners: ListenerSpec[], logger: Logger): void {
  const open: string[] = [];
  for (const l of listeners) {
    const authenticated = usesSasl(l.protocol) || (l.protocol === 'SSL' && config.sslClientAuth === 'required');
    if (!authenticated && !isLoopback(l.host)) open.push(`Kafka ${l.protocol}://${l.host}:${l.port}`);
  }
  const grpcAuthenticated = config.authorizer || (config.tlsCert !== undefined && config.sslClientAuth === 'required');
  if (!grpcAuthenticated && !isLoopback(config.host)) open.push(`gRPC ${config.host}:${config.grpcPort}`);
  if (open.length > 0) {
    logger.warn({ listeners: open }, `listening beyond loopback without authentication (${open.join(', ')}): anyone who can reach these ports can read, write and delete every topic; use SASL listeners, mTLS or --host 127.0.0.1`);
  }
}

/** --sasl-mechanisms, checked: each one Rill implements. */
export function saslMechanismsOf(config: BrokerConfig): string[] {
  const list = config.saslMechanisms.split(',').map((m) => m.trim().toUpperCase()).filter((m) => m.length > 0);
  for (const m of list) {
    if (!(SASL_MECHANISMS as readonly string[]).includes(m)) throw new Error(`--sasl-mechanisms: ${m} is not supported (supported: ${SASL_MECHANISMS.join(', ')})`);
  }
  if (list.length === 0) throw new Error('--sasl-mechanisms: no mechanism given');
  return list;
}

/**
 * The SCRAM store (users' salted credentials in the metadata store) and the SASL services of the
 * Kafka listeners; the users of `--sasl-users` are (re)salted and stored first, so the file may
 * be removed afterwards.
 */
export async function openSaslServices(config: BrokerConfig, meta: MetaStore, logger: Logger, docs?: EtcdSecurityDocs): Promise<SaslServices> {
  const store = docs === undefined ? await ScramStore.open(meta) : await ScramStore.openDoc(docs.doc('scram-credentials'));
  if (config.saslUsers !== undefined) {
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(config.saslUsers, 'utf8'));
    } catch (err) {
      throw new Error(`--sasl-users ${config.saslUsers}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`--sasl-users ${config.saslUsers}: expected a JSON object { "user": "password", ... }`);
    for (const [user, password] of Object.entries(doc)) {
      if (typeof password !== 'string' || user.length === 0) throw new Error(`--sasl-users ${config.saslUsers}: the password of "${user}" must be a string`);
      await store.setPassword(user, password);
    }
    logger.info({ users: Object.keys(doc).length }, 'SASL users stored (salted SCRAM credentials)');
  }
  return { mechanisms: saslMechanismsOf(config), store, reauthMs: config.connectionsMaxReauthMs };
}

/** The ACL authorizer when `--authorizer on`; undefined otherwise (everything allowed, as Kafka without an authorizer). */
export async function openAuthorizer(config: BrokerConfig, meta: MetaStore, logger: Logger, docs?: EtcdSecurityDocs): Promise<Authorizer | undefined> {
  if (!config.authorizer) return undefined;
  const superUsers = parseSuperUsers(config.superUsers);
  for (const s of superUsers) if (!/^User:.+$/.test(s)) throw new Error(`--super-users: "${s}" is not User:<name>`);
  const options = { superUsers, allowEveryoneIfNoAclFound: config.allowEveryoneIfNoAclFound };
  const authorizer = docs === undefined ? await Authorizer.open(meta, options) : await Authorizer.openDoc(docs.doc('acls'), options);
  logger.info({ superUsers, allowEveryoneIfNoAclFound: config.allowEveryoneIfNoAclFound, acls: authorizer.list().length }, 'ACL authorizer on');
  return authorizer;
}

/** --grpc-tokens: a JSON file `{ "<token>": "<user>", ... }` of static bearer tokens. */
export async function readGrpcTokens(config: BrokerConfig): Promise<Map<string, string>> {
  if (config.grpcTokens === undefined) return new Map();
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(config.grpcTokens, 'utf8'));
  } catch (err) {
    throw new Error(`--grpc-tokens ${config.grpcTokens}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`--grpc-tokens ${config.grpcTokens}: expected a JSON object { "token": "user", ... }`);
  const tokens = new Map<string, string>();
  for (const [token, user] of Object.entries(doc)) {
    if (typeof user !== 'string' || user.length === 0 || token.length < 16) throw new Error(`--grpc-tokens ${config.grpcTokens}: each token must be at least 16 characters and name a user`);
    tokens.set(token, user);
  }
  return tokens;
}
