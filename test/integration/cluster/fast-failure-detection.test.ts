/**
 * Fast failure detection (src/coordination/liveness-probe.ts) with real brokers and a real etcd,
 * on a 15 s lease so that the lease alone could not explain a fast move: a SIGKILLed broker's
 * leaderships move and a killed controller is replaced within a few seconds, long before its
 * lease would expire (≥ 10 s after the kill: the TTL less one keepalive interval); a SIGSTOPped
 * broker, whose kernel still accepts connections, keeps its registration and its leaderships
 * until its lease says otherwise.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/broker-process.js';
import { startBrokerCluster, type BrokerCluster, type ClusterBroker } from '../../helpers/cluster.js';
import { clusterSeenBy, partitionsSeenBy } from '../../helpers/partition-views.js';

const LEASE_MS = 15_000;
/** Well under the ≥ 10 s the lease would take, well over the probe's ~0.3 s on a loaded box. */
const FAST_MS = 7000;
const TOPIC = 'ffd';

describe('fast failure detection', () => {
  let cluster: BrokerCluster;
  const live = () => cluster.brokers.filter((b) => b.running() && !b.paused());

  /** The registered brokers and the controller as `b`'s Metadata lists them. */
  const membership = async (b: ClusterBroker): Promise<{ brokers: number[]; controller: number }> => {
    const seen = await clusterSeenBy(b.process().kafkaPort);
    return { brokers: seen.brokers.map((x) => x.nodeId), controller: seen.controller };
  };
  /** Resolves once every live broker sees the topic led by live brokers only, none of them `gone`. */
  const ledWithout = (gone: number, ms: number) =>
    eventually(
      async () => {
        const views = await Promise.all(live().map((b) => partitionsSeenBy(b.process().kafkaPort, TOPIC).catch(() => [])));
        return views.every((v) => v.length === 3 && v.every((p) => p.leader > 0 && p.leader !== gone && !p.isr.includes(gone))) ? true : undefined;
      },
      ms,
      `every partition led without broker ${gone}`,
    );
  const fullIsr = () =>
    eventually(
      async () => ((await partitionsSeenBy(cluster.broker(1).process().kafkaPort, TOPIC).catch(() => [])).every((p) => p.isr.length === 3) ? true : undefined),
      60_000,
      'three in-sync replicas everywhere',
    );

  beforeAll(async () => {
    cluster = await startBrokerCluster({ size: 3, leaseTtlMs: LEASE_MS });
    const admin = new Kafka({ clientId: 'ffd', brokers: [`127.0.0.1:${cluster.broker(1).process().kafkaPort}`], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }] });
    await admin.disconnect();
    await fullIsr();
  }, 90_000);
  afterAll(async () => {
    for (const b of cluster?.brokers ?? []) if (b.paused()) b.resume();
    await cluster?.stop();
  });

  it('leaves a SIGSTOPped broker registered and leading: a paused process is not a dead one', async () => {
    const victim = cluster.broker((await partitionsSeenBy(cluster.broker(1).process().kafkaPort, TOPIC))[0]!.leader);
    const led = (await partitionsSeenBy(victim.process().kafkaPort, TOPIC)).filter((p) => p.leader === victim.nodeId).map((p) => p.partition);
    victim.pause();
    try {
      const until = Date.now() + 4000;
      while (Date.now() < until) {
        for (const b of live()) {
          expect((await membership(b)).brokers, `broker ${b.nodeId}'s view`).toContain(victim.nodeId);
          const views = await partitionsSeenBy(b.process().kafkaPort, TOPIC);
          expect(views.filter((p) => p.leader === victim.nodeId).map((p) => p.partition)).toEqual(led);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      victim.resume();
    }
  }, 30_000);

  it('moves a SIGKILLed broker’s leaderships within seconds, not at its lease’s expiry', async () => {
    const { controller } = await membership(cluster.broker(1));
    const views = await partitionsSeenBy(cluster.broker(1).process().kafkaPort, TOPIC);
    const victim = cluster.broker(views.find((p) => p.leader !== controller)?.leader ?? cluster.brokers.find((b) => b.nodeId !== controller)!.nodeId);
    const killedAt = Date.now();
    await victim.kill();
    await ledWithout(victim.nodeId, FAST_MS);
    expect(Date.now() - killedAt).toBeLessThan(FAST_MS);
    await victim.restart();
    await fullIsr();
  }, 90_000);

  it('replaces a SIGKILLed controller within seconds, and its leaderships move too', async () => {
    const victim = cluster.broker((await membership(cluster.broker(1))).controller);
    const killedAt = Date.now();
    await victim.kill();
    await eventually(
      async () => {
        const seen = await Promise.all(live().map((b) => membership(b)));
        return seen.every((m) => m.controller > 0 && m.controller !== victim.nodeId && !m.brokers.includes(victim.nodeId)) ? true : undefined;
      },
      FAST_MS,
      'a new controller everywhere',
    );
    await ledWithout(victim.nodeId, FAST_MS);
    expect(Date.now() - killedAt).toBeLessThan(FAST_MS);
    await victim.restart();
  }, 90_000);
});
