/**
 * Client quotas in cluster mode (--etcd): one etcd document every broker watches, so a quota
 * altered through one broker is described — and applied — by every broker; alterations made on
 * two brokers at once both survive (compare-and-swap, the loser re-applies its change). Two real
 * brokers and a real etcd; every wait polls with a deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import { eventually } from '../../helpers/broker-process.js';
import { startBrokerCluster, type BrokerCluster, type ClusterBroker } from '../../helpers/cluster.js';
import { RawClient } from '../kafka/raw-client.js';

type Entity = Array<{ entityType: string; entityName: string | null }>;
interface AlterAnswer {
  entries: Array<{ errorCode: number }>;
}
interface DescribeAnswer {
  entries: Array<{ entity: Entity; values: Array<{ key: string; value: number }> }> | null;
}

describe('client quotas in a cluster', () => {
  let cluster: BrokerCluster;
  beforeAll(async () => {
    cluster = await startBrokerCluster({ size: 2 });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  const onBroker = async <T>(b: ClusterBroker, work: (c: RawClient) => Promise<T>): Promise<T> => {
    const c = new RawClient(b.process().kafkaPort);
    try {
      return await work(c);
    } finally {
      c.close();
    }
  };
  const setRate = (b: ClusterBroker, client: string, rate: number) =>
    onBroker(b, (c) => c.request<AlterAnswer>(API_KEY.AlterClientQuotas, 1, { entries: [{ entity: [{ entityType: 'client-id', entityName: client }], ops: [{ key: 'producer_byte_rate', value: rate, remove: false }] }], validateOnly: false }));
  const rates = (b: ClusterBroker) =>
    onBroker(b, async (c) => {
      const answer = await c.request<DescribeAnswer>(API_KEY.DescribeClientQuotas, 1, { components: [{ entityType: 'client-id', matchType: 2, match: null }], strict: false });
      return Object.fromEntries((answer.entries ?? []).map((e) => [e.entity[0]!.entityName, e.values.find((v) => v.key === 'producer_byte_rate')?.value]));
    });

  it('a quota altered on one broker is described by the other; concurrent alterations on both survive', async () => {
    const [one, two] = [cluster.broker(1), cluster.broker(2)];
    expect((await setRate(one, 'ingest', 1_048_576)).entries[0]!.errorCode).toBe(0);
    await eventually(async () => ((await rates(two)).ingest === 1_048_576 ? true : undefined), 15_000, 'broker 2 to see the quota set on broker 1');
    const both = await Promise.all([setRate(one, 'alpha', 1000), setRate(two, 'beta', 2000)]);
    expect(both.map((a) => a.entries[0]!.errorCode)).toEqual([0, 0]);
    for (const b of [one, two]) {
      await eventually(async () => {
        const seen = await rates(b);
        return seen.alpha === 1000 && seen.beta === 2000 && seen.ingest === 1_048_576 ? true : undefined;
      }, 15_000, `broker ${b.nodeId} to hold all three quotas`);
    }
  }, 60_000);
});
