/**
 * The library's in-process broker (`startBroker` from src/lib): real Kafka and gRPC clients
 * against it, the test defaults, topics created before it resolves, several brokers side by side
 * in one process, idempotent stop, and the in-memory storage (no partition file on disk).
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { RillClient } from '../../../src/client/index.js';
import { startBroker, type EmbeddedBroker } from '../../../src/lib/index.js';
import { eventually } from '../../helpers/broker-process.js';
import { TestClient } from '../../helpers/grpc-client.js';

function kafkaOf(broker: EmbeddedBroker): Kafka {
  return new Kafka({ brokers: [broker.kafka], clientId: 'embedded-test', logLevel: logLevel.NOTHING, retry: { retries: 3 } });
}

/** Produces `values` with kafkajs and reads them back with a kafkajs consumer from the beginning. */
async function roundTrip(broker: EmbeddedBroker, topic: string, values: string[]): Promise<string[]> {
  const kafka = kafkaOf(broker);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `${topic}-readers` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: string[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message.value?.toString() ?? '');
        if (got.length === values.length) resolve();
      },
    });
  });
  await consumer.disconnect();
  return got;
}

function accepts(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = connect(Number(port), host!);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startBroker (in-process)', () => {
  it('serves Kafka, gRPC and HTTP on loopback with free ports, and stop removes the temp data dir', async () => {
    const broker = await startBroker({ topics: [{ name: 'orders', partitions: 3 }] });
    try {
      expect(broker.kafka).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(broker.grpc).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(broker.config.topicDefaults.flush).toBe('never');
      expect(broker.config.logLevel).toBe('silent');
      expect((await fetch(`${broker.http}/readyz`)).status).toBe(200);
      const client = new TestClient(broker.grpc);
      const described = await client.call<{ partitions: unknown[] }>('TopicService', 'Describe', { name: 'orders' });
      expect(described.partitions).toHaveLength(3);
      client.close();
      expect(await roundTrip(broker, 'orders', ['a', 'b', 'c'])).toEqual(expect.arrayContaining(['a', 'b', 'c']));
    } finally {
      await broker.stop();
    }
    expect(existsSync(broker.dataDir)).toBe(false);
    expect(await accepts(broker.kafka)).toBe(false);
    expect(await accepts(broker.grpc)).toBe(false);
    await broker.stop(); // idempotent
  });

  it('auto-creates topics for Kafka producers and creates topics through createTopic', async () => {
    const broker = await startBroker();
    try {
      const created = await broker.createTopic('made', { partitions: 2, configs: { 'retention.ms': '60000' } });
      expect(created).toMatchObject({ name: 'made', partitions: 2 });
      await expect(broker.createTopic('made')).rejects.toMatchObject({ code: 'TOPIC_ALREADY_EXISTS' });
      expect(await roundTrip(broker, 'auto-made', ['x'])).toEqual(['x']);
    } finally {
      await broker.stop();
    }
  });

  it('runs several brokers in one process without interference', async () => {
    const brokers = await Promise.all([startBroker(), startBroker({ storage: 'memory' }), startBroker()]);
    try {
      expect(new Set(brokers.map((b) => b.kafka)).size).toBe(3);
      expect(new Set(brokers.map((b) => b.dataDir)).size).toBe(3);
      await brokers[0]!.createTopic('only-here');
      const clients = brokers.map((b) => new TestClient(b.grpc));
      const lists = await Promise.all(clients.map((c) => c.call<{ topics: Array<{ name: string }> }>('TopicService', 'List', {})));
      expect(lists.map((l) => l.topics.map((t) => t.name))).toEqual([['only-here'], [], []]);
      await brokers[0]!.stop();
      for (const [i, b] of brokers.slice(1).entries()) expect(await roundTrip(b, `t${i}`, [`v${i}`])).toEqual([`v${i}`]);
      for (const c of clients) c.close();
    } finally {
      await Promise.all(brokers.map((b) => b.stop()));
    }
  });

  it('memory storage keeps partition logs off the disk: only RocksDB (meta/) is in the data dir', async () => {
    const broker = await startBroker({ storage: 'memory', topics: [{ name: 'mem', partitions: 2 }] });
    try {
      expect(broker.storage).toBe('memory');
      const values = Array.from({ length: 500 }, (_, i) => `m${i}`);
      expect((await roundTrip(broker, 'mem', values)).sort()).toEqual([...values].sort());
      expect(await readdir(broker.dataDir)).toEqual(['meta']);
    } finally {
      await broker.stop();
    }
  });

  it('leaves nothing running after stop: no server, socket or timer handle remains after 10 start/stop cycles', async () => {
    const count = () => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    const cycle = async () => {
      const broker = await startBroker({ topics: [{ name: 'cycle' }] });
      const client = new RillClient(broker.grpc);
      await client.produce('cycle', ['x']);
      client.close();
      const metrics = await (await fetch(`${broker.http}/metrics`)).text();
      expect(metrics).toContain('rill_log_end_offset');
      expect(metrics).not.toContain('process_cpu'); // no prom-client process collectors in-process
      await broker.stop();
    };
    await cycle(); // modules loaded, lazy singletons made
    const before = count();
    for (let i = 0; i < 10; i += 1) await cycle();
    const after = await eventually(() => (count() <= before ? count() : undefined), 5_000, `handles back to ${before}: ${process.getActiveResourcesInfo().join(',')}`);
    expect(after).toBeLessThanOrEqual(before);
  });

  it('keeps a data dir it was given, and refuses unknown or invalid options naming them', async () => {
    const first = await startBroker();
    const dir = `${first.dataDir}-kept`;
    await first.stop();
    const broker = await startBroker({ dataDir: dir });
    await broker.createTopic('kept');
    await broker.stop();
    expect(existsSync(dir)).toBe(true);
    const again = await startBroker({ dataDir: dir });
    const client = new TestClient(again.grpc);
    expect((await client.call<{ topics: Array<{ name: string }> }>('TopicService', 'List', {})).topics.map((t) => t.name)).toEqual(['kept']);
    client.close();
    await again.stop();
    await import('node:fs/promises').then((fs) => fs.rm(dir, { recursive: true, force: true }));
    await expect(startBroker({ kafkaPrt: 1 } as never)).rejects.toThrow('unknown option kafkaPrt');
    await expect(startBroker({ topicDefaults: { 'retention.mss': 1 } as never })).rejects.toThrow('unknown option topicDefaults.retention.mss');
    await expect(startBroker({ grpcPort: 70000 })).rejects.toThrow(/invalid option grpcPort/);
    await expect(startBroker({ storage: 'tape' as never })).rejects.toThrow(/invalid option storage/);
    await expect(startBroker({ storage: 'memory', dataDir: dir })).rejects.toThrow(/invalid option dataDir/);
    expect(existsSync(dir)).toBe(false);
  });
});
