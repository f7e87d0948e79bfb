import { describe, expect, it } from 'vitest';
import { isCoordinationError, singleNodeCoordination } from '../../../src/coordination/index.js';

const self = { nodeId: 0, host: '127.0.0.1', kafkaPort: 9092, grpcPort: 50051, httpPort: 8080 };

describe('singleNodeCoordination', () => {
  it('is the only broker, the controller and the sole replica and leader of every partition', async () => {
    const c = singleNodeCoordination(self);
    let changes = 0;
    c.onChange(() => changes++);
    await c.start(self);
    expect(c.brokers()).toEqual([self]);
    expect(c.controllerId()).toBe(0);
    expect(c.isController()).toBe(true);
    const def = await c.createTopic({ name: 't', topicId: 'id-1', partitionCount: 2, replicationFactor: 1, configs: {} });
    expect(def.topicId).toBe('id-1');
    expect(c.assignments('t')).toEqual([0, 1].map((partition) => ({ topic: 't', partition, leader: 0, leaderEpoch: 0, isr: [0], replicas: [0], version: expect.any(String) })));
    expect(c.leads('t', 1)).toBe(true);
    expect(c.leads('t', 2)).toBe(false);
    await c.createPartitions('t', 3);
    expect(c.assignments()).toHaveLength(3);
    await c.deleteTopic('t');
    expect(c.topics()).toEqual([]);
    expect(changes).toBe(3);
    await c.stop();
    expect(c.leads('t', 0)).toBe(false);
  });

  it('refuses what one broker cannot do, with the codes the cluster uses', async () => {
    const c = singleNodeCoordination(self);
    const code = (p: Promise<unknown>) => p.then(() => 'none', (e: unknown) => (isCoordinationError(e) ? e.code : 'other'));
    expect(await code(c.createTopic({ name: 't', partitionCount: 1, replicationFactor: 3, configs: {} }))).toBe('INVALID_REPLICATION_FACTOR');
    expect(await code(c.deleteTopic('t'))).toBe('UNKNOWN_TOPIC');
    await c.createTopic({ name: 't', partitionCount: 1, replicationFactor: 1, configs: {} });
    expect(await code(c.createTopic({ name: 't', partitionCount: 1, replicationFactor: 1, configs: {} }))).toBe('TOPIC_ALREADY_EXISTS');
    expect(await code(c.createPartitions('t', 1))).toBe('INVALID_PARTITIONS');
  });

  it('hands out consecutive producer-id blocks from the configured start', async () => {
    const c = singleNodeCoordination(self, { firstProducerId: 5000n });
    expect(await c.allocateProducerIds(1000)).toBe(5000n);
    expect(await c.allocateProducerIds(10)).toBe(6000n);
  });
});
