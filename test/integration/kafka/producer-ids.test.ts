/**
 * InitProducerId for idempotent producers (KIP-360 epoch bumps): a producer gets its epoch
 * bumped only for the id it was given, at the epoch it holds; anyone else presenting that id is
 * refused with INVALID_PRODUCER_ID_MAPPING and the holder is not fenced. Produce with acks=-1
 * and a short timeoutMs completes at once on one node (Kafka: the ISR is the leader alone).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/index.js';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { RawClient } from './raw-client.js';

interface InitAnswer {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

const init = (c: RawClient, producerId = -1n, producerEpoch = -1) =>
  c.request<InitAnswer>(API_KEY.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId, producerEpoch });

describe('InitProducerId', () => {
  let broker: BrokerProcess;
  beforeAll(async () => {
    broker = await spawnBroker();
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('bumps only the epoch of the id a client was given', async () => {
    const owner = new RawClient(broker.kafkaPort, 'owner');
    const other = new RawClient(broker.kafkaPort, 'intruder');
    try {
      const first = await init(owner);
      expect(first).toMatchObject({ errorCode: 0, producerEpoch: 0 });
      expect(await init(owner, first.producerId, 0)).toMatchObject({ errorCode: 0, producerId: first.producerId, producerEpoch: 1 });
      // Someone else presenting the id, at its current epoch or not: refused, holder untouched.
      expect(await init(other, first.producerId, 1)).toMatchObject({ errorCode: 49, producerId: -1n });
      // The holder's own stale epoch is refused too.
      expect(await init(owner, first.producerId, 0)).toMatchObject({ errorCode: 49 });
      expect(await init(owner, first.producerId, 1)).toMatchObject({ errorCode: 0, producerId: first.producerId, producerEpoch: 2 });
      // An id this broker never issued gets a fresh id (Kafka's non-transactional answer), fencing no one.
      const fresh = await init(other, 999_999n, 3);
      expect(fresh.errorCode).toBe(0);
      expect(fresh.producerId).not.toBe(999_999n);
      expect(fresh.producerEpoch).toBe(0);
      // Half an identity is a malformed request.
      expect(await init(owner, first.producerId, -1)).toMatchObject({ errorCode: 42 });
    } finally {
      owner.close();
      other.close();
    }
  });

  it('acks=-1 with a short timeout completes at once on one node', async () => {
    const c = new RawClient(broker.kafkaPort);
    try {
      await c.request(API_KEY.CreateTopics, 5, { topics: [{ name: 'acks-all', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
      const records = await encodeRecordBatch([{ key: null, value: Buffer.from('x') }]);
      const body = await c.request<{ responses: Array<{ partitionResponses: Array<{ errorCode: number; baseOffset: bigint }> }> }>(API_KEY.Produce, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 0,
        topicData: [{ name: 'acks-all', partitionData: [{ index: 0, records }] }],
      });
      expect(body.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    } finally {
      c.close();
    }
  });
});
