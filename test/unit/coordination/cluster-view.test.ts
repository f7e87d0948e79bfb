import { describe, expect, it } from 'vitest';
import { ClusterView, type RawKv } from '../../../src/coordination/cluster-view.js';
import { EtcdKeys } from '../../../src/coordination/etcd-keys.js';
import { coordinatedMetadata } from '../../../src/cluster/coordinated-cluster.js';
import type { Coordination } from '../../../src/coordination/index.js';

const keys = new EtcdKeys('/rill-test/');
const brokerKv = (nodeId: number, kafkaPort: number): RawKv => ({
  key: keys.broker(nodeId),
  value: JSON.stringify({ nodeId, host: '127.0.0.1', kafkaPort, grpcPort: kafkaPort + 1, httpPort: kafkaPort + 2 }),
  createRevision: '1',
  modRevision: '1',
  lease: '7',
});

describe('ClusterView.brokerList', () => {
  it('hands out one sorted list until a broker registers, changes or leaves', () => {
    const view = new ClusterView(keys, () => {});
    view.put(brokerKv(3, 9300));
    view.put(brokerKv(1, 9100));
    const first = view.brokerList();
    expect(first.map((b) => b.nodeId)).toEqual([1, 3]);
    expect(view.brokerList()).toBe(first);

    view.put(brokerKv(2, 9200));
    expect(view.brokerList().map((b) => b.nodeId)).toEqual([1, 2, 3]);
    view.put(brokerKv(2, 9250));
    expect(view.brokerList().find((b) => b.nodeId === 2)?.kafkaPort).toBe(9250);
    view.delete(keys.broker(1));
    expect(view.brokerList().map((b) => b.nodeId)).toEqual([2, 3]);
    view.clear();
    expect(view.brokerList()).toEqual([]);
  });

  it('a put of another key leaves the list as it was', () => {
    const view = new ClusterView(keys, () => {});
    view.put(brokerKv(1, 9100));
    const before = view.brokerList();
    view.put({ key: keys.controller, value: JSON.stringify({ nodeId: 1 }), createRevision: '2', modRevision: '2', lease: '7' });
    expect(view.brokerList()).toBe(before);
  });
});

describe('coordinatedMetadata', () => {
  it('finds a leader among the brokers of the latest list', () => {
    const view = new ClusterView(keys, () => {});
    view.put(brokerKv(1, 9100));
    const coordination = { brokers: () => view.brokerList(), controllerId: () => 1 } as unknown as Coordination;
    const metadata = coordinatedMetadata(() => 'cluster', 1, coordination);
    const partition = { leaderId: 2 } as Parameters<typeof metadata.leaderOf>[0];
    expect(metadata.leaderOf(partition)).toBeUndefined();
    view.put(brokerKv(2, 9200));
    expect(metadata.leaderOf(partition)?.kafkaPort).toBe(9200);
    expect(metadata.brokers().map((b) => b.nodeId)).toEqual([1, 2]);
    view.delete(keys.broker(2));
    expect(metadata.leaderOf(partition)).toBeUndefined();
  });
});
