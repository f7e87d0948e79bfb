/**
 * The Kafka front door's quota hook on decoded bodies (KafkaApis' order of things): a Fetch is
 * capped to getMaxValueInQuotaWindow before its handler runs; a throttled Fetch is answered empty,
 * its bytes unrecorded and a full fetch's new session dropped; Produce counts its request bytes,
 * acks=0 included; the larger of the bandwidth and request-time throttles goes into
 * throttleTimeMs; follower fetches and the SASL APIs are outside the quotas. And the broker config
 * takes the quota options in their flag and Kafka spellings.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import type { RequestHeader } from '../../../src/kafka/protocol/frames.js';
import { ClientQuotaManager } from '../../../src/quotas/client-quota-manager.js';
import { ClientQuotaStore } from '../../../src/quotas/client-quota-store.js';
import { RequestQuotas } from '../../../src/quotas/request-quotas.js';

const header = (apiKey: number, clientId = 'app') => ({ apiKey, apiVersion: 12, correlationId: 1, clientId }) as unknown as RequestHeader;

async function hook(ops: Array<{ entity: Record<string, string | null>; key: string; value: number }>) {
  const store = await ClientQuotaStore.open();
  await store.alter(ops.map((o) => ({ entity: o.entity, ops: [{ key: o.key, value: o.value, remove: false }] })));
  const now = { ms: 0 };
  const manager = new ClientQuotaManager(store, { windowNum: 11, windowSizeMs: 1000 }, {}, undefined, () => now.ms);
  return { requests: new RequestQuotas(manager), manager, now };
}

const fetchRequest = (replicaId = -1) => ({ replicaId, maxBytes: 50 * 1024 * 1024, minBytes: 1, sessionEpoch: 0 });
const fetchResponse = (bytes: number, sessionId = 7) => ({
  throttleTimeMs: 0,
  errorCode: 0,
  sessionId,
  responses: [{ topic: 't', partitions: [{ partitionIndex: 0, records: Buffer.alloc(bytes) }] }],
});

describe('RequestQuotas', () => {
  it('caps a fetch to what one window allows, and answers a throttled fetch empty without counting its bytes', async () => {
    const { requests, manager } = await hook([{ entity: { 'client-id': 'app' }, key: 'consumer_byte_rate', value: 1000 }]);
    const request = fetchRequest();
    const ticket = requests.begin(header(API_KEY.Fetch), request, 'User:alice');
    expect(request.maxBytes).toBe(10_000);
    const removed: number[] = [];
    const measured = { requestBytes: 100, handlerNanos: 0, removeFetchSession: (id: number) => removed.push(id) };
    expect(ticket.finish(fetchResponse(10_000), measured)).toBe(0);
    const second = fetchResponse(5000);
    const throttle = requests.begin(header(API_KEY.Fetch), fetchRequest(), 'User:alice').finish(second, measured);
    expect(throttle).toBe(5000); // 15000 B over 10 s against 1000 B/s
    expect(second.throttleTimeMs).toBe(5000);
    expect(second.responses).toEqual([]);
    expect(second.sessionId).toBe(0);
    expect(removed).toEqual([7]);
    // Unrecorded: the rate is back to the first fetch's 10000 B.
    expect(manager.record('fetch', 'alice', 'app', 0)).toBe(0);
  });

  it('leaves follower fetches alone', async () => {
    const { requests } = await hook([{ entity: { 'client-id': null }, key: 'consumer_byte_rate', value: 1 }]);
    const request = fetchRequest(2);
    const ticket = requests.begin(header(API_KEY.Fetch), request, 'User:broker');
    expect(request.maxBytes).toBe(50 * 1024 * 1024);
    const body = fetchResponse(1e6);
    expect(ticket.finish(body, { requestBytes: 100, handlerNanos: 0, removeFetchSession: () => undefined })).toBe(0);
    expect(body.responses).toHaveLength(1);
  });

  it('counts Produce request bytes, acks=0 (no body) included, and takes the larger of the bandwidth and request throttles', async () => {
    const { requests } = await hook([
      { entity: { user: 'alice' }, key: 'producer_byte_rate', value: 1000 },
      { entity: { user: 'alice' }, key: 'request_percentage', value: 1 },
    ]);
    const measured = (requestBytes: number, handlerNanos: number) => ({ requestBytes, handlerNanos, removeFetchSession: () => undefined });
    expect(requests.begin(header(API_KEY.Produce), {}, 'User:alice').finish(null, measured(20_000, 0))).toBe(10_000);
    const body = { throttleTimeMs: 0, responses: [] };
    // Request time: 2 s of handler time is 200 %-s over 10 s = 20 % against 1 %: capped at one window (1000 ms) < the bandwidth throttle.
    expect(requests.begin(header(API_KEY.Produce), {}, 'User:alice').finish(body, measured(1, 2e9))).toBeGreaterThan(10_000);
    expect(body.throttleTimeMs).toBeGreaterThan(10_000);
    const metadata = { throttleTimeMs: 0 };
    expect(requests.begin(header(API_KEY.Metadata), {}, 'User:alice').finish(metadata, measured(1, 1e6))).toBe(1000);
    expect(metadata.throttleTimeMs).toBe(1000);
    expect(requests.begin(header(API_KEY.SaslAuthenticate), {}, 'User:alice').finish({ throttleTimeMs: 0 }, measured(1, 1e9))).toBe(0);
    expect(requests.begin(header(API_KEY.Produce), {}, 'User:bob').finish(null, measured(1e9, 1e9))).toBe(0);
  });
});

describe('quota config', () => {
  it('takes the quota options as flags, RILL_* and config keys, and refuses bad ones', () => {
    const config = loadConfig({ quotaProducerByteRate: '1048576', maxConnectionsPerIp: '100', maxConnectionsPerIpOverrides: '10.0.0.1:5,::1:7' }, {}, { RILL_QUOTA_WINDOW_NUM: '5' });
    expect(config).toMatchObject({ quotaProducerByteRate: 1_048_576, maxConnectionsPerIp: 100, maxConnectionsPerIpOverrides: '10.0.0.1:5,::1:7', quotaWindowNum: 5, quotaWindowSizeSeconds: 1 });
    expect(config.quotaConsumerByteRate).toBeUndefined();
    expect(() => loadConfig({ maxConnectionsPerIpOverrides: 'nohost' }, {}, {})).toThrow(/--max-connections-per-ip-overrides/);
    expect(() => loadConfig({ quotaProducerByteRate: '-5' }, {}, {})).toThrow(/--quota-producer-byte-rate/);
  });
});
