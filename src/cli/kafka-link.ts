/**
 * KafkaLink: the CLI's one connection to a Kafka listener, for the commands that manage what only
 * the Kafka APIs reach (`rill acl`, `rill user`): request frames out, whole response frames back,
 * in order, one request at a time; optionally over TLS (`--tls-ca`) and authenticated with SASL
 * (SCRAM-SHA-256 by default, SCRAM-SHA-512 or PLAIN) as `--user`/`--password`. Every failure is a
 * one-line CliError (an unreachable listener, a failed authentication, a closed connection).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { isIP, connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Command } from 'commander';
import { APIS, API_KEY } from '../kafka/protocol/api-registry.js';
import { decodeResponse, encodeRequest } from '../kafka/protocol/frames.js';
import { CliError, usageError } from './cli-error.js';
import { addClientSecurityOptions, clientSecurity, readCa, type ClientSecurityFlags } from './client-options.js';

export interface KafkaLinkFlags extends ClientSecurityFlags {
  bootstrapServer: string;
  saslMechanism: string;
}

/** --bootstrap-server, --sasl-mechanism and the security flags. */
export function addKafkaLinkOptions(cmd: Command): Command {
  return addClientSecurityOptions(
    cmd
      .option('-b, --bootstrap-server <host:port>', 'the Kafka listener (default $RILL_KAFKA_SERVER or 127.0.0.1:9092)', process.env.RILL_KAFKA_SERVER ?? '127.0.0.1:9092')
      .option('--sasl-mechanism <mechanism>', 'SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN', 'SCRAM-SHA-256'),
  );
}

export class KafkaLink {
  private buffered = Buffer.alloc(0);
  private waiting: Array<(frame: Buffer) => void> = [];
  private failure: Error | undefined;
  private nextId = 1;

  private constructor(
    private readonly socket: Socket,
    private readonly clientId: string,
  ) {
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

  static open(address: string, tlsCa: string | undefined, clientId: string): Promise<KafkaLink> {
    const at = address.lastIndexOf(':');
    const host = at > 0 ? address.slice(0, at) : '127.0.0.1';
    const port = Number(at > 0 ? address.slice(at + 1) : address);
    const ca = tlsCa === undefined ? undefined : readCa(tlsCa);
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(new CliError(`cannot reach the Kafka listener at ${host}:${port}: ${err.message}`));
      const socket =
        ca === undefined
          ? tcpConnect(port, host, () => resolve(new KafkaLink(socket, clientId)))
          : tlsConnect({ host, port, ca, ...(isIP(host) === 0 ? { servername: host } : {}) }, () => resolve(new KafkaLink(socket, clientId)));
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
    this.socket.write(encodeRequest(apiKey, version, id, this.clientId, body));
    return decodeResponse(APIS.get(apiKey)!, version, await frame).body as T;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Sends one request and resolves its decoded response body (KafkaLink.request, or a benchmark's client). */
export type KafkaRequester = (apiKey: number, version: number, body: Record<string, unknown>) => Promise<Record<string, unknown>>;

/**
 * SASL over SaslHandshake v1 + SaslAuthenticate v1: PLAIN, or a SCRAM exchange that also checks
 * the server's signature. Throws a CliError naming the user when the broker refuses.
 */
export async function saslLogin(request: KafkaRequester, mechanism: string, user: string, password: string): Promise<void> {
  const hs = (await request(API_KEY.SaslHandshake, 1, { mechanism })) as { errorCode: number; mechanisms: string[] };
  if (hs.errorCode !== 0) throw new CliError(`the broker does not offer SASL ${mechanism} (it offers ${hs.mechanisms.join(', ') || 'none'})`);
  const step = async (token: string | Buffer) => {
    const r = (await request(API_KEY.SaslAuthenticate, 1, { authBytes: Buffer.from(token) })) as { errorCode: number; errorMessage: string | null; authBytes: Buffer };
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

/** Opens a link for the command's flags (authenticated when a user is given), runs `work`, closes it. */
export async function withKafka<T>(command: string, flags: KafkaLinkFlags, work: (link: KafkaLink) => Promise<T>): Promise<T> {
  const security = clientSecurity(flags);
  const mechanism = flags.saslMechanism.toUpperCase();
  if (!['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'].includes(mechanism)) throw usageError(`${command}: --sasl-mechanism ${flags.saslMechanism}: one of SCRAM-SHA-256, SCRAM-SHA-512, PLAIN`);
  const link = await KafkaLink.open(flags.bootstrapServer, security.tlsCa, `rill-${command}`);
  try {
    if (security.user !== undefined && security.password !== undefined) await saslLogin((apiKey, version, body) => link.request(apiKey, version, body), mechanism, security.user, security.password);
    return await work(link);
  } finally {
    link.close();
  }
}
