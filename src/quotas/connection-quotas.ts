/**
 * ConnectionQuotas: Kafka's per-IP connection limits at accept (ConnectionQuotas): at most
 * `max.connections.per.ip` open connections from one address (`max.connections.per.ip.overrides`
 * per address), and at most `connection_creation_rate` new connections per second from one
 * address (KIP-612: the quota of /ips/<ip>, else /ips/<default>, else the broker default), over
 * the same sampled windows as the client quotas. A connection over the rate is not counted (Kafka
 * unrecords it) and is closed after the throttle time, so the client does not reconnect at once;
 * one over the count is closed at once. One event
 * loop; the clock is injected for tests.
 */
import type { ClientQuotaStore } from './client-quota-store.js';
import { QUOTA_KEY } from './quota-entity.js';
import type { QuotaMetrics } from './quota-metrics.js';
import { SampledRate, throttleTimeMs, type RateWindows } from './sampled-rate.js';

export interface ConnectionLimitSettings {
  /** max.connections.per.ip (Kafka's default: Int.MaxValue). */
  maxConnectionsPerIp: number;
  /** max.connections.per.ip.overrides: address → limit. */
  overrides: ReadonlyMap<string, number>;
  /** The broker-wide default connection_creation_rate per IP (absent: none). */
  connectionCreationRate?: number | undefined;
}

export type AcceptVerdict = { accepted: true } | { accepted: false; reason: 'max-connections-per-ip' | 'connection-creation-rate'; closeAfterMs: number; limit: number };

/** Parses `host:count,host:count` (Kafka's max.connections.per.ip.overrides); throws on a bad entry. */
export function parseConnectionOverrides(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e.length > 0)) {
    const at = entry.lastIndexOf(':');
    const count = Number(entry.slice(at + 1));
    if (at <= 0 || !Number.isInteger(count) || count < 0) throw new Error(`bad max.connections.per.ip.overrides entry ${JSON.stringify(entry)}: expected host:count`);
    out.set(entry.slice(0, at), count);
  }
  return out;
}

/** Node reports IPv4 peers of a dual-stack socket as ::ffff:a.b.c.d; quotas name them a.b.c.d. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}

export class ConnectionQuotas {
  private readonly counts = new Map<string, number>();
  private readonly rates = new Map<string, SampledRate>();

  constructor(
    private readonly store: ClientQuotaStore,
    private readonly windows: RateWindows,
    private readonly settings: ConnectionLimitSettings,
    private readonly metrics?: QuotaMetrics,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Decides a new connection from `address`; an accepted one must be `release`d when it closes. */
  accept(rawAddress: string): AcceptVerdict {
    const address = plainAddress(rawAddress);
    const rateLimit = this.store.get({ ip: address }, QUOTA_KEY.connectionCreationRate) ?? this.store.get({ ip: null }, QUOTA_KEY.connectionCreationRate) ?? this.settings.connectionCreationRate;
    if (rateLimit !== undefined) {
      const now = this.clock();
      let rate = this.rates.get(address);
      if (rate === undefined) {
        rate = new SampledRate(this.windows);
        this.rates.set(address, rate);
      }
      rate.record(1, now);
      const throttleMs = throttleTimeMs(rate.measure(now), rateLimit, rate.windowMs(now), this.windows.windowSizeMs);
      if (throttleMs > 0) {
        rate.record(-1, now);
        this.metrics?.refusedConnection('connection-creation-rate');
        return { accepted: false, reason: 'connection-creation-rate', closeAfterMs: throttleMs, limit: rateLimit };
      }
    }
    const count = this.counts.get(address) ?? 0;
    this.counts.set(address, count + 1);
    const max = this.settings.overrides.get(address) ?? this.settings.maxConnectionsPerIp;
    if (count >= max) {
      this.release(address);
      this.metrics?.refusedConnection('max-connections-per-ip');
      return { accepted: false, reason: 'max-connections-per-ip', closeAfterMs: 0, limit: max };
    }
    return { accepted: true };
  }

  release(rawAddress: string): void {
    const address = plainAddress(rawAddress);
    const count = (this.counts.get(address) ?? 0) - 1;
    if (count <= 0) this.counts.delete(address);
    else this.counts.set(address, count);
  }

  /** Open connections from an address (tests, metrics). */
  openFrom(rawAddress: string): number {
    return this.counts.get(plainAddress(rawAddress)) ?? 0;
  }
}
