/**
 * RillClient.subscribe resumes after a broken connection from the offset after the last record
 * it delivered: across a clean broker restart (the stream ends as the broker stops) and across
 * SIGKILL of a broker process (UNAVAILABLE), every record arrives once, in offset order per
 * partition. A broker that does not come back within reconnectTimeoutMs ends the iteration with
 * UNAVAILABLE.
 */
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { RillClient, type ConsumedRecord } from '../../../src/client/index.js';
import { startBroker } from '../../../src/lib/index.js';
import { newDataDir, removeDataDir, spawnBroker } from '../../helpers/broker-process.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address !== null && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function takeFrom(iterator: AsyncIterator<ConsumedRecord>, n: number): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  while (out.length < n) {
    const next = await iterator.next();
    if (next.done === true) throw new Error(`iteration ended after ${out.length} of ${n} records`);
    out.push(next.value);
  }
  return out;
}

function expectOncePerOffset(records: ConsumedRecord[], partitions: number[], perPartition: number): void {
  for (const p of partitions) {
    expect(records.filter((r) => r.partition === p).map((r) => r.offset)).toEqual(Array.from({ length: perPartition }, (_, i) => BigInt(i)));
  }
}

describe('subscribe resumes after a broken connection', () => {
  it('across a clean restart of the broker on the same data dir and port', async () => {
    const dataDir = await newDataDir();
    const grpcPort = await freePort();
    let broker = await startBroker({ dataDir, grpcPort, topics: [{ name: 'resume', partitions: 2 }] });
    const client = new RillClient(broker.grpc);
    try {
      const produce = async (from: number, to: number) => {
        for (const p of [0, 1]) await client.produce('resume', Array.from({ length: to - from }, (_, i) => `p${p}-${from + i}`), { partition: p });
      };
      await produce(0, 5);
      const subscription = client.subscribe({ topic: 'resume', from: 'earliest' });
      const before = await takeFrom(subscription, 10);
      await broker.stop();
      broker = await startBroker({ dataDir, grpcPort });
      await produce(5, 10);
      const after = await takeFrom(subscription, 10);
      await subscription.return();
      expectOncePerOffset([...before, ...after], [0, 1], 10);
      expect(subscription.nextOffsets).toEqual(new Map([[0, 10n], [1, 10n]]));
    } finally {
      client.close();
      await broker.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('across SIGKILL of a broker process, and gives up with UNAVAILABLE when it stays away', async () => {
    const dataDir = await newDataDir();
    const grpcPort = await freePort();
    const args = ['--grpc-port', String(grpcPort), '--flush', 'always'];
    let broker = await spawnBroker({ dataDir, args });
    // Long enough for a broker process to restart on a loaded machine; it bounds only the give-up below.
    const client = new RillClient(`127.0.0.1:${grpcPort}`, { reconnectTimeoutMs: 10_000 });
    try {
      await client.createTopic('killed', { partitions: 1 });
      await client.produce('killed', ['a', 'b', 'c']);
      const subscription = client.subscribe({ topic: 'killed', from: 'earliest' });
      const before = await takeFrom(subscription, 3);
      await broker.kill();
      broker = await spawnBroker({ dataDir, args });
      await client.produce('killed', ['d', 'e']);
      const after = await takeFrom(subscription, 2);
      expect([...before, ...after].map((r) => `${r.offset}:${r.value?.toString()}`)).toEqual(['0:a', '1:b', '2:c', '3:d', '4:e']);
      await broker.kill();
      await expect(subscription.next()).rejects.toMatchObject({ status: 'UNAVAILABLE' });
    } finally {
      client.close();
      await broker.kill();
      await removeDataDir(dataDir);
    }
  });
});
