/**
 * `rill acl add|list|remove`: Kafka ACLs, as `kafka-acls --bootstrap-server` manages them — over
 * the Kafka listener with CreateAcls / DescribeAcls / DeleteAcls, authenticated with SASL
 * (SCRAM-SHA-256 by default, or PLAIN) as `--user`/`--password` (RILL_USER, RILL_PASSWORD), over
 * TLS with `--tls-ca`. One connection per command, one request at a time; every failure is one
 * line (CliError).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import type { Command } from 'commander';
import { CLUSTER_NAME, OPERATION, PATTERN_TYPE, PERMISSION, RESOURCE_TYPE, describeBinding, operationCode, type AclBinding } from '../security/acl.js';
import { APIS, API_KEY } from '../kafka/protocol/api-registry.js';
import { decodeResponse, encodeRequest } from '../kafka/protocol/frames.js';
import { CliError, usageError } from './cli-error.js';
import { examples } from './help-text.js';

interface AclOptions {
  bootstrapServer: string;
  user?: string;
  password?: string;
  saslMechanism: string;
  tlsCa?: string;
  topic?: string;
  group?: string;
  cluster?: boolean;
  resourcePatternType: string;
  allowPrincipal?: string[];
  denyPrincipal?: string[];
  principal?: string;
  operation?: string[];
  host: string;
  json?: boolean;
}

/** One Kafka connection: frames out, whole frames back, in order. */
class KafkaLink {
  private buffered = Buffer.alloc(0);
  private waiting: Array<(frame: Buffer) => void> = [];
  private failure: Error | undefined;
  private nextId = 1;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, c]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const size = this.buffered.readInt32BE(0);
        const frame = this.buffered.subarray(4, 4 + size);
        this.buffered = this.buffered.subarray(4 + size);
        this.waiting.shift()?.(frame);
      }
    });
    socket.on('close', () => (this.failure ??= new CliError('the broker closed the connection')));
  }

  static open(address: string, tlsCa: string | undefined): Promise<KafkaLink> {
    const at = address.lastIndexOf(':');
    const host = at > 0 ? address.slice(0, at) : '127.0.0.1';
    const port = Number(at > 0 ? address.slice(at + 1) : address);
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(new CliError(`cannot reach the Kafka listener at ${host}:${port}: ${err.message}`));
      const socket =
        tlsCa === undefined
          ? tcpConnect(port, host, () => resolve(new KafkaLink(socket)))
          : tlsConnect({ host, port, ca: readFileSync(tlsCa), servername: host }, () => resolve(new KafkaLink(socket)));
      socket.once('error', onError);
    });
  }

  async request<T>(apiKey: number, version: number, body: Record<string, unknown>): Promise<T> {
    if (this.failure !== undefined) throw this.failure;
    const id = this.nextId++;
    const frame = new Promise<Buffer>((resolve, reject) => {
      this.waiting.push(resolve);
      this.socket.once('close', () => reject(this.failure ?? new CliError('the broker closed the connection')));
    });
    this.socket.write(encodeRequest(apiKey, version, id, 'rill-acl', body));
    return decodeResponse(APIS.get(apiKey)!, version, await frame).body as T;
  }

  close(): void {
    this.socket.destroy();
  }
}

async function authenticate(link: KafkaLink, mechanism: string, user: string, password: string): Promise<void> {
  const hs = await link.request<{ errorCode: number; mechanisms: string[] }>(API_KEY.SaslHandshake, 1, { mechanism });
  if (hs.errorCode !== 0) throw new CliError(`the broker does not offer SASL ${mechanism} (it offers ${hs.mechanisms.join(', ') || 'none'})`);
  const step = async (token: string | Buffer) => {
    const r = await link.request<{ errorCode: number; errorMessage: string | null; authBytes: Buffer }>(API_KEY.SaslAuthenticate, 1, { authBytes: Buffer.from(token) });
    if (r.errorCode !== 0) throw new CliError(`authentication as ${user} failed: ${r.errorMessage ?? r.errorCode}`);
    return r.authBytes.toString();
  };
  if (mechanism === 'PLAIN') {
    await step(`\0${user}\0${password}`);
    return;
  }
  const algo = mechanism === 'SCRAM-SHA-512' ? 'sha512' : 'sha256';
  const name = user.replace(/=/g, '=3D').replace(/,/g, '=2C');
  const first = `n=${name},r=${randomBytes(18).toString('base64')}`;
  const serverFirst = await step(`n,,${first}`);
  const attrs = new Map(serverFirst.split(',').map((p) => [p[0]!, p.slice(2)]));
  const salted = pbkdf2Sync(password, Buffer.from(attrs.get('s') ?? '', 'base64'), Number(attrs.get('i')), algo === 'sha512' ? 64 : 32, algo);
  const clientKey = createHmac(algo, salted).update('Client Key').digest();
  const withoutProof = `c=biws,r=${attrs.get('r') ?? ''}`;
  const authMessage = `${first},${serverFirst},${withoutProof}`;
  const signature = createHmac(algo, createHash(algo).update(clientKey).digest()).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
  const serverFinal = await step(`${withoutProof},p=${proof.toString('base64')}`);
  const expected = createHmac(algo, createHmac(algo, salted).update('Server Key').digest()).update(authMessage).digest('base64');
  if (serverFinal !== `v=${expected}`) throw new CliError('the broker did not prove it knows the credentials (SCRAM server signature mismatch)');
}

async function withKafka<T>(o: AclOptions, work: (link: KafkaLink) => Promise<T>): Promise<T> {
  const link = await KafkaLink.open(o.bootstrapServer, o.tlsCa);
  try {
    const user = o.user ?? process.env.RILL_USER;
    const password = o.password ?? process.env.RILL_PASSWORD;
    if (user !== undefined) {
      if (password === undefined) throw usageError('acl: --user needs --password (or RILL_PASSWORD)');
      await authenticate(link, o.saslMechanism.toUpperCase(), user, password);
    }
    return await work(link);
  } finally {
    link.close();
  }
}

/** The resource named by --topic, --group or --cluster (exactly one for add/remove). */
function resourceOf(o: AclOptions, required: boolean): { type: number; name: string | null; pattern: number } {
  const given = [o.topic !== undefined, o.group !== undefined, o.cluster === true].filter(Boolean).length;
  if (given > 1 || (required && given === 0)) throw usageError('acl: name exactly one resource: --topic NAME, --group NAME or --cluster');
  const pattern = o.resourcePatternType.toLowerCase();
  const patternCode = pattern === 'literal' ? PATTERN_TYPE.LITERAL : pattern === 'prefixed' ? PATTERN_TYPE.PREFIXED : pattern === 'any' ? PATTERN_TYPE.ANY : pattern === 'match' ? PATTERN_TYPE.MATCH : undefined;
  if (patternCode === undefined) throw usageError(`acl: --resource-pattern-type ${o.resourcePatternType}: one of literal, prefixed${required ? '' : ', any, match'}`);
  if (o.topic !== undefined) return { type: RESOURCE_TYPE.TOPIC, name: o.topic, pattern: patternCode };
  if (o.group !== undefined) return { type: RESOURCE_TYPE.GROUP, name: o.group, pattern: patternCode };
  if (o.cluster === true) return { type: RESOURCE_TYPE.CLUSTER, name: CLUSTER_NAME, pattern: PATTERN_TYPE.LITERAL };
  return { type: RESOURCE_TYPE.ANY, name: null, pattern: PATTERN_TYPE.ANY };
}

function operationsOf(o: AclOptions): number[] {
  return (o.operation ?? []).map((op) => {
    const code = operationCode(op);
    if (code === undefined) throw usageError(`acl: --operation ${op} is not one of Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All`);
    return code;
  });
}

/** The bindings an add names: each allow/deny principal × each operation. */
function bindingsOf(o: AclOptions): AclBinding[] {
  const r = resourceOf(o, true);
  const ops = operationsOf(o);
  if (ops.length === 0) throw usageError('acl: give at least one --operation');
  const principals = [...(o.allowPrincipal ?? []).map((p) => [p, PERMISSION.ALLOW] as const), ...(o.denyPrincipal ?? []).map((p) => [p, PERMISSION.DENY] as const)];
  if (principals.length === 0) throw usageError('acl: give --allow-principal User:NAME or --deny-principal User:NAME');
  return principals.flatMap(([principal, permissionType]) => ops.map((operation) => ({ resourceType: r.type, resourceName: r.name!, patternType: r.pattern, principal, host: o.host, operation, permissionType })));
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function common(cmd: Command): Command {
  return cmd
    .option('-b, --bootstrap-server <host:port>', 'the Kafka listener (default $RILL_KAFKA_SERVER or 127.0.0.1:9092)', process.env.RILL_KAFKA_SERVER ?? '127.0.0.1:9092')
    .option('--user <name>', 'SASL user (or RILL_USER)')
    .option('--password <password>', 'SASL password (or RILL_PASSWORD)')
    .option('--sasl-mechanism <mechanism>', 'SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN', 'SCRAM-SHA-256')
    .option('--tls-ca <file>', 'connect over TLS, trusting this CA')
    .option('--topic <name>', 'a topic (or prefix, with --resource-pattern-type prefixed)')
    .option('--group <name>', 'a consumer group')
    .option('--cluster', 'the cluster')
    .option('--resource-pattern-type <type>', 'literal or prefixed (list/remove: also any, match)', 'literal')
    .option('--operation <op>', 'Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite or All (repeatable)', collect)
    .option('--host <host>', 'the client address the ACL applies to', '*');
}

export function registerAcl(program: Command): void {
  const acl = program.command('acl').description('Kafka ACLs (the broker runs with --authorizer on): add, list, remove');
  common(acl.command('add').description('add ACLs: each principal × each operation on one resource'))
    .option('--allow-principal <principal>', 'User:NAME or User:* to allow (repeatable)', collect)
    .option('--deny-principal <principal>', 'User:NAME or User:* to deny; a deny beats any allow (repeatable)', collect)
    .addHelpText('after', examples(['rill acl add --allow-principal User:alice --operation Read --operation Describe --topic orders --user admin --password secret', 'rill acl add --deny-principal User:bob --operation Write --topic logs- --resource-pattern-type prefixed']))
    .action(async (o: AclOptions) => {
      const bindings = bindingsOf(o);
      await withKafka(o, async (link) => {
        const res = await link.request<{ results: Array<{ errorCode: number; errorMessage: string | null }> }>(API_KEY.CreateAcls, 3, {
          creations: bindings.map((b) => ({ ...b, resourcePatternType: b.patternType })),
        });
        const failed = res.results.find((r) => r.errorCode !== 0);
        if (failed !== undefined) throw new CliError(`acl add: ${failed.errorMessage ?? `error ${failed.errorCode}`}`);
        for (const b of bindings) process.stdout.write(`added: ${describeBinding(b)}\n`);
      });
    });
  common(acl.command('list').description('list ACLs (all, or those on one resource / of one principal)'))
    .option('--principal <principal>', 'only this principal')
    .option('--json', 'JSON output')
    .addHelpText('after', examples(['rill acl list', 'rill acl list --topic orders --json']))
    .action(async (o: AclOptions) => {
      const r = resourceOf(o, false);
      const ops = operationsOf(o);
      await withKafka(o, async (link) => {
        const res = await link.request<{ errorCode: number; errorMessage: string | null; resources: Array<{ resourceType: number; resourceName: string; patternType: number; acls: Array<{ principal: string; host: string; operation: number; permissionType: number }> }> }>(
          API_KEY.DescribeAcls,
          3,
          { resourceType: r.type, resourceName: r.name, patternType: o.topic === undefined && o.group === undefined ? PATTERN_TYPE.ANY : r.pattern, principal: o.principal ?? null, host: null, operation: ops[0] ?? OPERATION.ANY, permissionType: PERMISSION.ANY },
        );
        if (res.errorCode !== 0) throw new CliError(`acl list: ${res.errorMessage ?? `error ${res.errorCode}`}${res.errorCode === 54 ? ' (the broker runs without --authorizer on)' : ''}`);
        const bindings: AclBinding[] = res.resources.flatMap((g) => g.acls.map((a) => ({ resourceType: g.resourceType, resourceName: g.resourceName, patternType: g.patternType, ...a })));
        if (o.json === true) process.stdout.write(`${JSON.stringify(bindings)}\n`);
        else for (const b of bindings) process.stdout.write(`${describeBinding(b)}\n`);
      });
    });
  common(acl.command('remove').description('remove the ACLs matching the filter'))
    .option('--allow-principal <principal>', 'remove ALLOW ACLs of this principal', collect)
    .option('--deny-principal <principal>', 'remove DENY ACLs of this principal', collect)
    .addHelpText('after', examples(['rill acl remove --allow-principal User:alice --operation Read --topic orders']))
    .action(async (o: AclOptions) => {
      const r = resourceOf(o, true);
      const ops = operationsOf(o);
      const principals = [...(o.allowPrincipal ?? []).map((p) => [p, PERMISSION.ALLOW] as const), ...(o.denyPrincipal ?? []).map((p) => [p, PERMISSION.DENY] as const)];
      const filters = (principals.length === 0 ? [[null, PERMISSION.ANY] as const] : principals).flatMap(([principal, permissionType]) =>
        (ops.length === 0 ? [OPERATION.ANY] : ops).map((operation) => ({ resourceTypeFilter: r.type, resourceNameFilter: r.name, patternTypeFilter: r.pattern, principalFilter: principal, hostFilter: null, operation, permissionType })),
      );
      await withKafka(o, async (link) => {
        const res = await link.request<{ filterResults: Array<{ errorCode: number; errorMessage: string | null; matchingAcls: AclBinding[] }> }>(API_KEY.DeleteAcls, 3, { filters });
        const failed = res.filterResults.find((f) => f.errorCode !== 0);
        if (failed !== undefined) throw new CliError(`acl remove: ${failed.errorMessage ?? `error ${failed.errorCode}`}`);
        const removed = res.filterResults.flatMap((f) => f.matchingAcls);
        for (const b of removed) process.stdout.write(`removed: ${describeBinding(b)}\n`);
        if (removed.length === 0) process.stdout.write('no ACL matched\n');
      });
    });
}
