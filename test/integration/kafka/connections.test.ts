/**
 * Kafka listener connections as Kafka's SocketServer treats them: idle connections closed after
 * connections.max.idle.ms, a frame left half-sent past the request timeout closed, reading
 * stopped while a client does not read its answers (bounded output), a broker-wide cap on
 * request bytes in flight (queued.max.request.bytes), and in-flight requests answered on stop.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/index.js';
import { API_KEY, APIS } from '../../../src/kafka/protocol/api-registry.js';
import { decodeResponse, encodeRequest } from '../../../src/kafka/protocol/frames.js';
import { eventually, newDataDir, removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { RawClient } from './raw-client.js';

let broker: BrokerProcess | undefined;

async function startWith(options: Record<string, number>): Promise<BrokerProcess> {
  const dataDir = await newDataDir();
  const file = join(dataDir, 'test-config.json');
  await writeFile(file, JSON.stringify(options));
  broker = await spawnBroker({ dataDir, args: ['--config', file] });
  return broker;
}

afterEach(async () => {
  if (broker === undefined) return;
  await broker.stop();
  await removeDataDir(broker.dataDir);
  broker = undefined;
});

const apiVersions = (c: RawClient) => c.request(API_KEY.ApiVersions, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });

function fetchBody(topic: string, maxWaitMs: number, offset = 0n, partitionMaxBytes = 1024 * 1024) {
  return {
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes: 50 * 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes }] }],
    forgottenTopicsData: [],
    rackId: '',
  };
}

async function createTopic(c: RawClient, name: string): Promise<void> {
  await c.request(API_KEY.CreateTopics, 5, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
}

async function requestsHandled(b: BrokerProcess, api: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${b.httpPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('rill_requests_total') && l.includes(`api="${api}"`) && l.includes('status="OK"'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('Kafka connections', () => {
  it('closes an idle connection after connections.max.idle.ms, but not one waiting on a long poll', async () => {
    const b = await startWith({ connectionsMaxIdleMs: 400 });
    const polling = new RawClient(b.kafkaPort);
    await createTopic(polling, 'idle');
    const idle = new RawClient(b.kafkaPort);
    await apiVersions(idle);
    // A long poll longer than the idle time is answered, not cut off.
    const answer = await polling.request<{ errorCode: number }>(API_KEY.Fetch, 12, fetchBody('idle', 1500));
    expect(answer.errorCode).toBe(0);
    await idle.waitClosed();
    expect(b.output()).toMatch(/closing idle kafka connection/);
    polling.close();
  });

  it('closes a connection whose frame stays half-sent past the request timeout; others are served', async () => {
    const b = await startWith({ kafkaRequestTimeoutMs: 300 });
    const stalled = new RawClient(b.kafkaPort);
    const frame = encodeRequest(API_KEY.ApiVersions, 3, 1, 'raw', { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    stalled.socket.write(frame.subarray(0, 10));
    const ok = new RawClient(b.kafkaPort);
    expect(await apiVersions(ok)).toMatchObject({ errorCode: 0 });
    await stalled.waitClosed();
    // The log line reaches the pipe after the close, not necessarily before it.
    await eventually(() => (/request frame not completed in time/.test(b.output()) ? true : undefined), 5_000, 'the log line of the closed connection');
    expect(await apiVersions(ok)).toMatchObject({ errorCode: 0 });
    ok.close();
  });

  it('stops reading requests while a client does not read its answers, then answers them all in order', async () => {
    const b = await startWith({ kafkaMaxConnectionOutputBytes: 1 });
    const setup = new RawClient(b.kafkaPort);
    await createTopic(setup, 'big');
    const batch = await encodeRecordBatch([{ key: null, value: Buffer.alloc(1024 * 1024 - 200, 7) }]);
    await setup.request(API_KEY.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'big', partitionData: [{ index: 0, records: batch }] }] });
    setup.close();

    const lazy = new RawClient(b.kafkaPort);
    lazy.socket.pause();
    const sent = 100;
    for (let i = 0; i < sent; i += 1) lazy.socket.write(encodeRequest(API_KEY.Fetch, 12, 1000 + i, 'raw', fetchBody('big', 0)));
    // The broker answers a few (what the kernel buffers hold), then stops reading.
    await eventually(async () => ((await requestsHandled(b, 'Kafka.Fetch')) > 0 ? true : undefined), 10_000, 'a first fetch');
    let handled = 0;
    let stable = 0;
    await eventually(async () => {
      const now = await requestsHandled(b, 'Kafka.Fetch');
      stable = now === handled ? stable + 1 : 0;
      handled = now;
      return stable >= 8 ? true : undefined;
    }, 20_000, 'the broker to stop reading');
    expect(handled).toBeLessThan(40);
    lazy.socket.resume();
    const ids = [];
    for (let i = 0; i < sent; i += 1) {
      const f = await lazy.frame(20_000);
      ids.push(f.readInt32BE(0));
      const { body } = decodeResponse(APIS.get(API_KEY.Fetch)!, 12, f);
      expect((body.responses as Array<{ partitions: Array<{ records: Buffer }> }>)[0]!.partitions[0]!.records.length).toBe(batch.length);
    }
    expect(ids).toEqual(Array.from({ length: sent }, (_, i) => 1000 + i));
    lazy.close();
  }, 60_000);

  it('holds every connection reading while queued.max.request.bytes are in flight', async () => {
    const b = await startWith({ queuedMaxRequestBytes: 1 });
    const setup = new RawClient(b.kafkaPort);
    await createTopic(setup, 'capped');
    const poller = new RawClient(b.kafkaPort);
    const other = new RawClient(b.kafkaPort);
    // Order of arrival, from the sockets themselves (the request helpers poll).
    const order: string[] = [];
    poller.socket.once('data', () => order.push('fetch'));
    other.socket.once('data', () => order.push('apiVersions'));
    // The long poll holds its request bytes for its whole wait: the pool is exhausted.
    const polled = poller.request(API_KEY.Fetch, 12, fetchBody('capped', 1500));
    // A round trip to the broker's HTTP port: by its answer the broker has read the poll.
    await requestsHandled(b, 'Kafka.CreateTopics');
    const answered = apiVersions(other);
    await Promise.all([polled, answered]);
    expect(order).toEqual(['fetch', 'apiVersions']);
    setup.close();
    poller.close();
    other.close();
  });

  it('answers in-flight requests on stop before closing', async () => {
    const b = await startWith({});
    const c = new RawClient(b.kafkaPort);
    await createTopic(c, 'stopping');
    const pending = c.request<{ errorCode: number; responses: unknown[] }>(API_KEY.Fetch, 12, fetchBody('stopping', 20_000));
    await eventually(async () => ((await requestsHandled(b, 'Kafka.CreateTopics')) > 0 ? true : undefined));
    const code = b.stop();
    const answer = await pending;
    expect(answer.errorCode).toBe(0);
    expect(answer.responses).toHaveLength(1);
    await c.waitClosed();
    expect(await code).toBe(0);
  });
});
