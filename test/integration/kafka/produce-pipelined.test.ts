/**
 * The produce hot path on the real broker: one request spanning topics and partitions is answered
 * per partition in request order (a good partition, an unknown partition, an unknown topic — as
 * Kafka's ReplicaManager answers them: UNKNOWN_TOPIC_OR_PARTITION, no auto-creation on Produce),
 * and many pipelined produce requests from kcat-sized bursts are all acknowledged with
 * contiguous offsets, in request order, and read back whole (responses coalesced per turn).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/index.js';
import { API_KEY, APIS } from '../../../src/kafka/protocol/api-registry.js';
import { FrameSplitter, decodeResponse, encodeRequest } from '../../../src/kafka/protocol/frames.js';
import { eventually, removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { RawClient } from './raw-client.js';

type ProduceAnswer = { responses: Array<{ name: string; partitionResponses: Array<{ index: number; errorCode: number; baseOffset: bigint }> }> };

let broker: BrokerProcess;
beforeAll(async () => {
  broker = await spawnBroker();
  const admin = new RawClient(broker.kafkaPort);
  for (const name of ['multi', 'piped']) {
    await admin.request(API_KEY.CreateTopics, 4, { topics: [{ name, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  }
  admin.close();
});
afterAll(async () => {
  await broker.stop();
  await removeDataDir(broker.dataDir);
});

describe('produce hot path', () => {
  it('answers each partition of one request in order: appended, unknown partition, unknown topic', async () => {
    const c = new RawClient(broker.kafkaPort);
    const batch = () => encodeRecordBatch([{ key: null, value: Buffer.from('v') }, { key: null, value: Buffer.from('w') }]);
    const body = await c.request<ProduceAnswer>(API_KEY.Produce, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [
        { name: 'multi', partitionData: [{ index: 1, records: await batch() }, { index: 7, records: await batch() }, { index: 0, records: await batch() }] },
        { name: 'no-such-topic', partitionData: [{ index: 0, records: await batch() }] },
      ],
    });
    expect(body.responses.map((t) => t.name)).toEqual(['multi', 'no-such-topic']);
    expect(body.responses[0]!.partitionResponses.map((p) => [p.index, p.errorCode, p.baseOffset])).toEqual([
      [1, 0, 0n],
      [7, 3, -1n],
      [0, 0, 0n],
    ]);
    expect(body.responses[1]!.partitionResponses.map((p) => [p.index, p.errorCode])).toEqual([[0, 3]]);
    c.close();
  });

  it('acknowledges 500 pipelined requests in request order with contiguous offsets', async () => {
    const c = new RawClient(broker.kafkaPort);
    const count = 500;
    const frames: Buffer[] = [];
    for (let i = 0; i < count; i += 1) {
      const records = await encodeRecordBatch(Array.from({ length: 3 }, (_, r) => ({ key: null, value: Buffer.from(`${i}-${r}`) })));
      frames.push(encodeRequest(API_KEY.Produce, 9, 1000 + i, 'raw', { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'piped', partitionData: [{ index: 0, records }] }] }));
    }
    const answers: Array<{ id: number; baseOffset: bigint; errorCode: number }> = [];
    const splitter = new FrameSplitter(1 << 20);
    c.socket.removeAllListeners('data');
    c.socket.on('data', (chunk: Buffer) => {
      for (const frame of splitter.push(chunk)) {
        const { correlationId, body } = decodeResponse(APIS.get(API_KEY.Produce)!, 9, frame);
        const p = (body as unknown as ProduceAnswer).responses[0]!.partitionResponses[0]!;
        answers.push({ id: correlationId, baseOffset: p.baseOffset, errorCode: p.errorCode });
      }
    });
    // Bursts of many frames per write, as a pipelining client sends them.
    for (let i = 0; i < count; i += 50) c.socket.write(Buffer.concat(frames.slice(i, i + 50)));
    await eventually(() => (answers.length === count ? true : undefined), 20_000, 'every answer');
    expect(answers.map((a) => a.id)).toEqual(Array.from({ length: count }, (_, i) => 1000 + i));
    expect(answers.every((a) => a.errorCode === 0)).toBe(true);
    expect(answers.map((a) => a.baseOffset)).toEqual(Array.from({ length: count }, (_, i) => BigInt(i * 3)));
    c.close();
  });
});
