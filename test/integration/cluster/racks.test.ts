/**
 * broker.rack (`--rack`, RILL_RACK): four real brokers in two racks against a real etcd. Metadata
 * tells each broker's rack, and a topic's replicas are spread over the racks — every partition
 * with replication factor 2 has one replica in each — so losing a rack loses no partition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import { eventually } from '../../helpers/broker-process.js';
import { startBrokerCluster, type BrokerCluster } from '../../helpers/cluster.js';
import { partitionsSeenBy } from '../../helpers/partition-views.js';
import { RawClient } from '../kafka/raw-client.js';

const RACK: Record<number, string> = { 1: 'r1', 2: 'r1', 3: 'r2', 4: 'r2' };

describe('racks', () => {
  let cluster: BrokerCluster;
  beforeAll(async () => {
    cluster = await startBrokerCluster({ size: 4, leaseTtlMs: 2000, spawnFor: (id) => ({ env: { RILL_RACK: RACK[id]! } }) });
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('lists every broker with its rack and puts the two replicas of each partition in different racks', async () => {
    const raw = new RawClient(cluster.broker(1).process().kafkaPort);
    try {
      type Meta = { brokers: Array<{ nodeId: number; rack: string | null }> };
      const meta = await eventually(async () => {
        const m = await raw.request<Meta>(API_KEY.Metadata, 9, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
        return m.brokers.length === 4 ? m : undefined;
      }, 20_000, 'four brokers in Metadata');
      expect(Object.fromEntries(meta.brokers.map((b) => [b.nodeId, b.rack]))).toEqual(RACK);
      const created = await raw.request<{ topics: Array<{ errorCode: number }> }>(API_KEY.CreateTopics, 4, {
        topics: [{ name: 'spread-racks', numPartitions: 8, replicationFactor: 2, assignments: [], configs: [] }],
        timeoutMs: 10_000,
        validateOnly: false,
      });
      expect(created.topics[0]!.errorCode).toBe(0);
    } finally {
      raw.close();
    }
    const views = await eventually(async () => {
      const v = await partitionsSeenBy(cluster.broker(1).process().kafkaPort, 'spread-racks');
      return v.length === 8 && v.every((p) => p.leader > 0) ? v : undefined;
    }, 20_000, 'eight led partitions');
    for (const p of views) expect(new Set(p.replicas.map((id) => RACK[id])).size).toBe(2);
  });
});
