/**
 * ClientQuotaManager: Kafka's ClientQuotaManager / ClientRequestQuotaManager for the three client
 * quotas — produce bytes, fetch bytes, request-handler time (percent of one thread) — per matched
 * quota entity (quota-entity.ts precedence). Each (type, user tag, client-id tag) has a
 * SampledRate; `record` adds a value, measures, and when the rate is over the bound answers the
 * throttle time (X = (O − T)/T · W; the request quota caps it at one window). A kind of quota is
 * off — nothing recorded, no cost — until a quota or broker default of that kind exists. Quota
 * changes apply to the next request (limits are read from the store each time; the rates keep
 * their history). Idle rates are dropped. One event loop; the clock is injected for tests.
 */
import type { ClientQuotaStore } from './client-quota-store.js';
import { QUOTA_KEY, resolveQuota, type QuotaKey, type ResolvedQuota } from './quota-entity.js';
import type { QuotaMetrics, QuotaType } from './quota-metrics.js';
import { SampledRate, throttleTimeMs, type RateWindows } from './sampled-rate.js';

export interface ClientQuotaDefaults {
  /** Broker-wide defaults, the lowest precedence (below /clients/<default>). */
  producerByteRate?: number | undefined;
  consumerByteRate?: number | undefined;
  requestPercentage?: number | undefined;
}

const KEY_OF: Record<QuotaType, QuotaKey> = {
  produce: QUOTA_KEY.producerByteRate,
  fetch: QUOTA_KEY.consumerByteRate,
  request: QUOTA_KEY.requestPercentage,
};

/** How often idle rates are looked for. */
const SWEEP_MS = 60_000;

export class ClientQuotaManager {
  private readonly rates = new Map<string, SampledRate>();
  private lastSweepMs: number;

  constructor(
    readonly store: ClientQuotaStore,
    readonly windows: RateWindows,
    private readonly defaults: ClientQuotaDefaults = {},
    private readonly metrics?: QuotaMetrics,
    private readonly clock: () => number = Date.now,
  ) {
    this.lastSweepMs = clock();
  }

  private fallback(type: QuotaType): number | undefined {
    return type === 'produce' ? this.defaults.producerByteRate : type === 'fetch' ? this.defaults.consumerByteRate : this.defaults.requestPercentage;
  }

  /** Whether quotas of `type` are on at all. */
  enabled(type: QuotaType): boolean {
    return this.fallback(type) !== undefined || this.store.has(KEY_OF[type]);
  }

  /** The quota that applies to (user, client id), if any. */
  quota(type: QuotaType, user: string, clientId: string): ResolvedQuota | undefined {
    if (!this.enabled(type)) return undefined;
    return resolveQuota((entity, key) => this.store.get(entity, key), KEY_OF[type], user, clientId, this.fallback(type));
  }

  /**
   * Records `value` for the client and answers the throttle time in ms (0 within the quota or
   * without one). Kafka records first and then checks, so the value that crosses the bound is
   * itself counted.
   */
  record(type: QuotaType, user: string, clientId: string, value: number): number {
    const quota = this.quota(type, user, clientId);
    if (quota === undefined) return 0;
    const now = this.clock();
    const rate = this.rateOf(type, quota);
    rate.record(value, now);
    const observed = rate.measure(now);
    const maxMs = type === 'request' ? this.windows.windowSizeMs : undefined;
    this.maybeSweep(now);
    return throttleTimeMs(observed, quota.limit, rate.windowMs(now), maxMs);
  }

  /** Takes back a recorded value (Kafka's unrecordQuotaSensor: a throttled fetch is answered empty). */
  unrecord(type: QuotaType, user: string, clientId: string, value: number): void {
    const quota = this.quota(type, user, clientId);
    if (quota === undefined) return;
    this.rateOf(type, quota).record(-value, this.clock());
  }

  /** Counts a throttle handed out (the metrics). */
  throttled(type: QuotaType, user: string, clientId: string, ms: number): void {
    const quota = this.quota(type, user, clientId);
    if (quota !== undefined) this.metrics?.throttle(type, quota.user, quota.clientId, ms);
  }

  /**
   * The most one request may take without being throttled for sure (Kafka's
   * getMaxValueInQuotaWindow: quota × (windows − 1) × window size): a fetch is capped to it, so a
   * quota below the client's fetch size does not starve the client.
   */
  maxValueInWindow(type: QuotaType, user: string, clientId: string): number {
    const quota = this.quota(type, user, clientId);
    if (quota === undefined) return Number.POSITIVE_INFINITY;
    return quota.limit * (this.windows.windowNum - 1) * (this.windows.windowSizeMs / 1000);
  }

  private rateOf(type: QuotaType, quota: ResolvedQuota): SampledRate {
    const key = `${type}\u0000${quota.user}\u0000${quota.clientId}`;
    let rate = this.rates.get(key);
    if (rate === undefined) {
      rate = new SampledRate(this.windows);
      this.rates.set(key, rate);
    }
    return rate;
  }

  private maybeSweep(now: number): void {
    if (now - this.lastSweepMs < SWEEP_MS) return;
    this.lastSweepMs = now;
    for (const [key, rate] of this.rates) if (rate.idle(now)) this.rates.delete(key);
  }
}
