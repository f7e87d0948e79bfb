/**
 * The quota arithmetic of Kafka's Rate / SampledStat and QuotaUtils.throttleTime (KIP-13), on an
 * injected clock: rates over quota.window.num × quota.window.size, the minimum window of
 * (windows − 1) samples, expiry of old samples, X = (O − T)/T · W, the request quota's cap at
 * one window, and the fetch cap getMaxValueInQuotaWindow.
 */
import { describe, expect, it } from 'vitest';
import { ClientQuotaManager } from '../../../src/quotas/client-quota-manager.js';
import { ClientQuotaStore } from '../../../src/quotas/client-quota-store.js';
import { SampledRate, throttleTimeMs } from '../../../src/quotas/sampled-rate.js';

const WINDOWS = { windowNum: 11, windowSizeMs: 1000 };

describe('SampledRate (Kafka Rate over SampledStat)', () => {
  it('measures a new client over at least windows - 1 samples', () => {
    const rate = new SampledRate(WINDOWS);
    rate.record(20_000, 0);
    expect(rate.windowMs(0)).toBe(10_000);
    expect(rate.measure(0)).toBe(2000);
    rate.record(1000, 400);
    expect(rate.windowMs(400)).toBe(10_400);
    expect(rate.measure(400)).toBeCloseTo(21_000 / 10.4, 6);
  });

  it('measures over the elapsed time once more than windows - 1 samples have passed, and forgets samples older than all windows', () => {
    const rate = new SampledRate(WINDOWS);
    for (let t = 0; t <= 10_000; t += 1000) rate.record(100, t);
    expect(rate.windowMs(10_500)).toBe(10_500);
    expect(rate.measure(10_500)).toBeCloseTo(1100 / 10.5, 6);
    // At 11 s the first sample (started at 0) is older than 11 windows: it is reset.
    expect(rate.measure(11_000)).toBeCloseTo(1000 / 10, 6);
    expect(rate.idle(30_000)).toBe(true);
    expect(new SampledRate(WINDOWS).measure(5)).toBe(0);
  });

  it('takes back a value recorded negatively (unrecord)', () => {
    const rate = new SampledRate(WINDOWS);
    rate.record(5000, 0);
    rate.record(-5000, 10);
    expect(rate.measure(20)).toBe(0);
  });
});

describe('throttleTimeMs (QuotaUtils.throttleTime)', () => {
  it('is (observed - bound) / bound × window, rounded, 0 within the quota, capped when asked', () => {
    expect(throttleTimeMs(2000, 1000, 10_000)).toBe(10_000);
    expect(throttleTimeMs(1100, 1000, 10_000)).toBe(1000);
    expect(throttleTimeMs(1000, 1000, 10_000)).toBe(0);
    expect(throttleTimeMs(999, 1000, 10_000)).toBe(0);
    expect(throttleTimeMs(1000.04, 1000, 10_000)).toBe(0);
    expect(throttleTimeMs(5, 1, 10_000, 1000)).toBe(1000);
  });
});

describe('ClientQuotaManager', () => {
  async function manager(now: { ms: number }, defaults = {}) {
    const store = await ClientQuotaStore.open();
    return { store, m: new ClientQuotaManager(store, WINDOWS, defaults, undefined, () => now.ms) };
  }

  it('records nothing and throttles nothing until a quota of the kind exists', async () => {
    const now = { ms: 0 };
    const { m } = await manager(now);
    expect(m.enabled('produce')).toBe(false);
    expect(m.record('produce', 'alice', 'app', 1e12)).toBe(0);
    expect(m.maxValueInWindow('fetch', 'alice', 'app')).toBe(Number.POSITIVE_INFINITY);
  });

  it('throttles a producer over producer_byte_rate by the time that brings its rate back to the quota', async () => {
    const now = { ms: 0 };
    const { store, m } = await manager(now);
    await store.alter([{ entity: { 'client-id': 'app' }, ops: [{ key: 'producer_byte_rate', value: 1000, remove: false }] }]);
    expect(m.record('produce', 'alice', 'app', 10_000)).toBe(0); // exactly the quota over the 10 s minimum window
    now.ms = 500;
    // 11000 B over a 10.5 s window is 1047.6 B/s: (1047.6 - 1000) / 1000 × 10500 ms = 500 ms.
    expect(m.record('produce', 'alice', 'app', 1000)).toBe(500);
    // Kafka's minimum window keeps the rate at 11000 B / 10 s until the first sample expires.
    now.ms = 5000;
    expect(m.record('produce', 'alice', 'app', 0)).toBe(1000);
    now.ms = 11_000;
    expect(m.record('produce', 'alice', 'app', 0)).toBe(0);
  });

  it('caps the request quota throttle at one window and measures handler time as a percentage', async () => {
    const now = { ms: 0 };
    const { m } = await manager(now, { requestPercentage: 1 });
    // 500 ms of handler time = 50 percent-seconds; over a 10 s window that is 5 % > 1 %.
    expect(m.record('request', 'alice', 'app', 50)).toBe(1000);
    // The broker default is per client id: another client id has its own rate.
    expect(m.record('request', 'bob', 'other', 5)).toBe(0);
  });

  it('gives each client id its own rate under a default quota, and a user quota one rate for all its clients', async () => {
    const now = { ms: 0 };
    const { store, m } = await manager(now);
    await store.alter([
      { entity: { 'client-id': null }, ops: [{ key: 'consumer_byte_rate', value: 1000, remove: false }] },
      { entity: { user: 'alice' }, ops: [{ key: 'consumer_byte_rate', value: 2000, remove: false }] },
    ]);
    expect(m.record('fetch', 'bob', 'a', 10_000)).toBe(0);
    expect(m.record('fetch', 'bob', 'b', 10_000)).toBe(0); // a's bytes are not b's
    expect(m.record('fetch', 'bob', 'a', 10_000)).toBe(10_000);
    expect(m.record('fetch', 'alice', 'a', 20_000)).toBe(0);
    expect(m.record('fetch', 'alice', 'b', 20_000)).toBe(10_000); // one rate for all of alice's clients
    expect(m.maxValueInWindow('fetch', 'bob', 'x')).toBe(10_000);
  });

  it('applies a changed quota to the next request, keeping the rate measured so far', async () => {
    const now = { ms: 0 };
    const { store, m } = await manager(now);
    await store.alter([{ entity: { user: 'alice' }, ops: [{ key: 'producer_byte_rate', value: 100_000, remove: false }] }]);
    expect(m.record('produce', 'alice', 'c', 20_000)).toBe(0);
    await store.alter([{ entity: { user: 'alice' }, ops: [{ key: 'producer_byte_rate', value: 1000, remove: false }] }]);
    expect(m.record('produce', 'alice', 'c', 0)).toBe(10_000);
    await store.alter([{ entity: { user: 'alice' }, ops: [{ key: 'producer_byte_rate', value: 0, remove: true }] }]);
    expect(m.record('produce', 'alice', 'c', 1e9)).toBe(0);
  });
});
