/**
 * Kafka listeners (`listeners` / `advertised.listeners`): `PROTOCOL://host:port` entries, the
 * listener name being its security protocol (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL), each at
 * most once. An empty host means `--host`. Without `--listeners` there is one PLAINTEXT listener
 * on `--host:--kafka-port`, so the old flags keep working. Pure: parsing and validation only.
 */

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];

export interface ListenerSpec {
  name: SecurityProtocol;
  protocol: SecurityProtocol;
  host: string;
  port: number;
  /** What Metadata tells clients that connected here; port -1 = the bound port. */
  advertisedHost: string;
  advertisedPort: number;
}

export class ListenerError extends Error {
  override readonly name = 'ListenerError';
}

export const usesTls = (p: SecurityProtocol): boolean => p === 'SSL' || p === 'SASL_SSL';
export const usesSasl = (p: SecurityProtocol): boolean => p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';

interface Endpoint {
  protocol: SecurityProtocol;
  host: string;
  port: number;
}

function parseList(text: string, what: string): Endpoint[] {
  const out: Endpoint[] = [];
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e.length > 0)) {
    const m = /^([A-Za-z_]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/.exec(entry);
    if (m === null) throw new ListenerError(`${what}: "${entry}" is not PROTOCOL://host:port`);
    const protocol = m[1]!.toUpperCase();
    if (!(SECURITY_PROTOCOLS as readonly string[]).includes(protocol)) {
      throw new ListenerError(`${what}: unknown security protocol ${m[1]} (one of ${SECURITY_PROTOCOLS.join(', ')})`);
    }
    const port = Number(m[3]);
    if (port > 65535) throw new ListenerError(`${what}: port ${port} of ${entry} is out of range`);
    if (out.some((o) => o.protocol === protocol)) throw new ListenerError(`${what}: ${protocol} is given twice`);
    out.push({ protocol: protocol as SecurityProtocol, host: m[2]!.replace(/^\[|\]$/g, ''), port });
  }
  if (out.length === 0) throw new ListenerError(`${what}: no listener given`);
  return out;
}

export interface ListenerOptions {
  listeners?: string | undefined;
  advertisedListeners?: string | undefined;
  host: string;
  kafkaPort: number;
  advertisedHost: string;
}

/** The Kafka listeners of a config, in the order given (the first is the one `ports.kafka` reports). */
export function resolveListeners(o: ListenerOptions): ListenerSpec[] {
  const bound: Endpoint[] = o.listeners === undefined ? [{ protocol: 'PLAINTEXT', host: o.host, port: o.kafkaPort }] : parseList(o.listeners, '--listeners');
  const advertised = o.advertisedListeners === undefined ? [] : parseList(o.advertisedListeners, '--advertised-listeners');
  for (const a of advertised) {
    if (!bound.some((b) => b.protocol === a.protocol)) throw new ListenerError(`--advertised-listeners: ${a.protocol} is not one of --listeners`);
  }
  return bound.map((b) => {
    const a = advertised.find((x) => x.protocol === b.protocol);
    const host = b.host === '' ? o.host : b.host;
    return {
      name: b.protocol,
      protocol: b.protocol,
      host,
      port: b.port,
      advertisedHost: a !== undefined && a.host !== '' ? a.host : o.advertisedHost,
      advertisedPort: a?.port ?? -1,
    };
  });
}

/** True for addresses only this machine reaches. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
