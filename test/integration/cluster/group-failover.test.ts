/**
 * Coordinator failover (issue 13, fault scenario 8): a consumer group commits on a three-broker
 * cluster (`__consumer_offsets` and the data topic with replication factor 3); the broker
 * coordinating the group is SIGKILLed; the leader of the group's offsets partition on a
 * surviving broker becomes the coordinator with every committed offset (they were appended with
 * acks=-1, so the in-sync followers hold them), and the group resumes there without skipping
 * past or rewinding before a committed offset.
 *
 * - kafkajs: the member commits the first 30 records, the coordinator dies, every committed
 *   offset is read back from the new coordinator, and — as kafkajs keeps a consumer bound to a
 *   dead coordinator (kafkajs#1630) — the application restarts the member (a new process), which
 *   starts exactly at the committed offsets.
 * - librdkafka (confluent-kafka-python, explicit synchronous commits after every message): the
 *   coordinator dies while a producer keeps writing and the member keeps committing; the same
 *   consumer finds the new coordinator and goes on. No record is read again from before an
 *   offset the coordinator had acknowledged, and no offset is skipped.
 *
 * Members run in child processes (member-process.ts). One run of each in `make test`;
 * RILL_GROUP_FAILOVER_RUNS=N (make test-faults) repeats them on the same cluster, the killed
 * broker restarted between runs. Every wait polls with a deadline.
 */
import { appendFileSync } from 'node:fs';
import { Kafka, logLevel, type Admin, type Producer, type logCreator } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import { eventually } from '../../helpers/broker-process.js';
import { startBrokerCluster, type BrokerCluster, type ClusterBroker } from '../../helpers/cluster.js';
import { RawClient } from '../kafka/raw-client.js';
import { clusterSeenBy } from '../../helpers/partition-views.js';
import { KAFKAJS_MEMBER, LIBRDKAFKA_MEMBER, spawnMember, type MemberEvent, type MemberProcess } from '../groups/member-process.js';

const RUNS = Math.max(1, Number(process.env.RILL_GROUP_FAILOVER_RUNS ?? '1'));
/** RILL_DEBUG_LOG=<file>: kafkajs debug logs (test process and members) and each broker's log (<file>.b<id>, at debug level). */
const DEBUG_LOG = process.env.RILL_DEBUG_LOG;
const debugCreator: logCreator = () => ({ namespace, level, log }) => {
  if (DEBUG_LOG !== undefined) appendFileSync(DEBUG_LOG, `${new Date().toISOString()} ${level} ${namespace} ${JSON.stringify(log)}\n`);
};

type Offsets = Map<number, bigint>;

describe('group coordinator failover', () => {
  let cluster: BrokerCluster;
  const members: MemberProcess[] = [];
  const clients: Array<Admin | Producer> = [];

  const live = () => cluster.brokers.filter((b) => b.running());
  const addresses = (brokers: ClusterBroker[]) => brokers.map((b) => `127.0.0.1:${b.process().kafkaPort}`);
  const kafkaOn = (brokers: ClusterBroker[], clientId: string) =>
    new Kafka({ clientId, brokers: addresses(brokers), logLevel: DEBUG_LOG === undefined ? logLevel.NOTHING : logLevel.DEBUG, logCreator: debugCreator, retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 } });
  const connected = async <T extends Admin | Producer>(client: T): Promise<T> => {
    clients.push(client);
    await client.connect();
    return client;
  };

  const coordinatorSeenBy = async (b: ClusterBroker, group: string): Promise<number | undefined> => {
    const raw = new RawClient(b.process().kafkaPort);
    try {
      const found = await raw.request<{ errorCode: number; nodeId: number }>(API_KEY.FindCoordinator, 3, { key: group, keyType: 0 });
      return found.errorCode === 0 ? found.nodeId : undefined;
    } catch {
      return undefined;
    } finally {
      raw.close();
    }
  };
  /** The coordinator every live broker names, once they agree on one that is alive. */
  const agreedCoordinator = (group: string, what: string) =>
    eventually(
      async () => {
        const brokers = live();
        const views = await Promise.all(brokers.map((b) => coordinatorSeenBy(b, group)));
        return views.every((v) => v !== undefined && v === views[0]) && brokers.some((b) => b.nodeId === views[0]) ? views[0] : undefined;
      },
      30_000,
      what,
    );
  const committedOn = async (admin: Admin, group: string, topic: string): Promise<Offsets> => {
    const rows = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map(rows[0]!.partitions.map((p) => [p.partition, BigInt(p.offset)]));
  };
  const endOffsets = async (admin: Admin, topic: string): Promise<Offsets> => new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  /** The highest acknowledged commit per partition among `events`. */
  const acked = (events: readonly MemberEvent[]): Offsets => {
    const out: Offsets = new Map();
    for (const e of events) if (e.event === 'committed') out.set(e.partition!, [out.get(e.partition!) ?? 0n, BigInt(e.offset!)].reduce((a, b) => (a > b ? a : b)));
    return out;
  };
  const reached = (have: Offsets, want: Offsets) => [...want].every(([p, end]) => end === 0n || (have.get(p) ?? -1n) >= end);
  const records = (events: readonly MemberEvent[]) => events.filter((e) => e.event === 'record').map((e) => ({ partition: e.partition!, offset: BigInt(e.offset!) }));
  /** Offsets of [0, end) no member read, per partition (nothing may be skipped). */
  const unread = (events: readonly MemberEvent[], ends: Offsets) => {
    const seen = new Set(records(events).map((r) => `${r.partition}:${r.offset}`));
    const missing: string[] = [];
    for (const [p, end] of ends) for (let o = 0n; o < end; o += 1n) if (!seen.has(`${p}:${o}`)) missing.push(`${p}:${o}`);
    return missing;
  };
  /** Records read from before an offset the coordinator had already acknowledged to this member. */
  const rewound = (events: readonly MemberEvent[]) => {
    const bad: string[] = [];
    const floor: Offsets = new Map();
    for (const e of events) {
      if (e.event === 'committed') floor.set(e.partition!, [floor.get(e.partition!) ?? 0n, BigInt(e.offset!)].reduce((a, b) => (a > b ? a : b)));
      if (e.event === 'record' && BigInt(e.offset!) < (floor.get(e.partition!) ?? 0n)) bad.push(`${e.partition}:${e.offset} < ${floor.get(e.partition!)}`);
    }
    return bad;
  };
  const sendAll = (producer: Producer, topic: string, from: number, count: number) =>
    eventually(
      () =>
        producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` })) }).then(
          () => true,
          () => undefined,
        ),
      30_000,
      'an acks=all produce',
    );
  /** Kills the group's coordinator; resolves with the victim and the new coordinator (a survivor). */
  const killCoordinator = async (group: string): Promise<{ victim: ClusterBroker; next: number }> => {
    const victim = cluster.broker(await agreedCoordinator(group, 'the group’s coordinator'));
    await victim.kill();
    const next = await agreedCoordinator(group, 'a new coordinator on a surviving broker');
    expect(next).not.toBe(victim.nodeId);
    return { victim, next };
  };
  const finishRun = async (victim: ClusterBroker, last: boolean) => {
    for (const m of members.splice(0)) await m.kill();
    await Promise.all(clients.splice(0).map((c) => Promise.race([c.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())])));
    // The next run starts with all three brokers again.
    if (last) return;
    await victim.restart();
    if (DEBUG_LOG !== undefined) victim.process().child.stdout!.on('data', (c: Buffer) => appendFileSync(`${DEBUG_LOG}.b${victim.nodeId}`, c));
  };
  /** Per partition the member's last read and commit, its last assignment and errors, then its last output lines. */
  const describeFailure = (member: MemberProcess) => () => {
    const read = new Map<number, string>();
    const committed = new Map<number, string>();
    for (const e of member.events) {
      if (e.event === 'record') read.set(e.partition!, String(e.offset));
      if (e.event === 'committed') committed.set(e.partition!, String(e.offset));
    }
    const partitions = [...new Set([...read.keys(), ...committed.keys()])].sort((a, b) => a - b);
    const assignment = member.events.filter((e) => e.event === 'assign' || e.event === 'revoke').slice(-3);
    const errors = member.events.filter((e) => e.event === 'error' || e.event === 'commit-failed').slice(-10);
    return [
      `member: ${member.events.length} events, running ${member.running()}; last read / committed: ${partitions.map((p) => `p${p} ${read.get(p) ?? '-'} / ${committed.get(p) ?? '-'}`).join(', ')}`,
      `last assignments: ${JSON.stringify(assignment)}; last errors: ${JSON.stringify(errors)}`,
      `member output:\n${member.output().split('\n').slice(-25).join('\n')}`,
    ].join('\n');
  };
  /** Each live broker's view of `topic`'s leaders (for a failure message). */
  const leadersSeen = async (topic: string) =>
    (
      await Promise.all(
        live().map(async (b) => {
          const seen = await clusterSeenBy(b.process().kafkaPort, topic).catch((err: Error) => err);
          if (seen instanceof Error) return `broker ${b.nodeId}: ${seen.message}`;
          const parts = seen.partitions.map((p) => `p${p.partition}→${p.leader}@${p.leaderEpoch}`).join(' ');
          return `broker ${b.nodeId} (port ${b.process().kafkaPort}, cluster ${seen.clusterId}): brokers ${seen.brokers.map((x) => `${x.nodeId}:${x.port}`).join(',')}; ${parts}`;
        }),
      )
    ).join('\n');
  /** Waits for `check` about `member`; a timeout carries the member's state and the brokers' view of `topic`. */
  const untilMember = <T>(member: MemberProcess, check: () => T | undefined, ms: number, what: string, topic?: string): Promise<T> =>
    eventually(check, ms, what).catch(async (err: Error) => {
      const views = topic === undefined ? '' : `\nleaders seen:\n${await leadersSeen(topic)}`;
      throw new Error(`${err.message}\n${describeFailure(member)()}${views}`);
    });
  /** A run's group and a 3-partition topic on every live broker, with `records` produced to it. */
  const workload = async (client: string, run: number, records: number) => {
    const group = `fo-${client}-${run}`;
    const topic = `fo-${client}-work-${run}`;
    const everyone = live();
    const admin = await connected(kafkaOn(everyone, `${group}-admin`).admin());
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 3 }] });
    const producer = await connected(kafkaOn(everyone, `${group}-producer`).producer());
    await sendAll(producer, topic, 0, records);
    return { group, topic, everyone, admin, producer };
  };

  beforeAll(async () => {
    cluster = await startBrokerCluster({
      size: 3,
      leaseTtlMs: 2000,
      args: ['--offsets-topic-num-partitions', '3', '--offsets-topic-replication-factor', '3', ...(DEBUG_LOG === undefined ? [] : ['--log-level', 'debug'])],
    });
    if (DEBUG_LOG !== undefined) for (const b of cluster.brokers) b.process().child.stdout!.on('data', (c: Buffer) => appendFileSync(`${DEBUG_LOG}.b${b.nodeId}`, c));
  }, 60_000);
  afterAll(async () => {
    for (const m of members) await m.kill();
    await Promise.all(clients.map((c) => Promise.race([c.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())])));
    await cluster?.stop();
  });

  it('loads each offsets partition on its leader as soon as it leads it, before any group request reaches that broker (Kafka’s GroupCoordinator.onElection)', async () => {
    // One FindCoordinator to broker 1 creates __consumer_offsets; the other brokers get no group request.
    expect(await eventually(() => coordinatorSeenBy(cluster.broker(1), 'election-probe'), 30_000, 'FindCoordinator on broker 1')).toBeGreaterThan(0);
    const admin = await connected(kafkaOn([cluster.broker(1)], 'election-probe').admin());
    const leaders = await eventually(
      async () => {
        const meta = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] }).catch(() => undefined);
        const parts = meta?.topics[0]?.partitions ?? [];
        return parts.length === 3 && parts.every((p) => p.leader > 0) ? parts.map((p) => ({ partition: p.partitionId, leader: p.leader })) : undefined;
      },
      30_000,
      'leaders for the offsets partitions',
    );
    for (const { partition, leader } of leaders) {
      await eventually(() => (cluster.broker(leader).process().output().includes(`"msg":"coordinating the groups of __consumer_offsets partition ${partition}"`) ? true : undefined), 30_000, `broker ${leader} to load offsets partition ${partition}`);
    }
    await admin.disconnect();
    clients.splice(clients.indexOf(admin), 1);
  });

  for (let run = 1; run <= RUNS; run += 1) {
    it(`kafkajs: every committed offset survives the coordinator's death and a restarted member resumes exactly at them (run ${run}/${RUNS})`, async () => {
      const { group, topic, everyone, admin } = await workload('kafkajs', run, 30);
      const first = spawnMember(process.execPath, [KAFKAJS_MEMBER, '--brokers', addresses(everyone).join(','), '--group', group, '--topic', topic], DEBUG_LOG === undefined ? {} : { RILL_DEBUG_LOG: DEBUG_LOG });
      members.push(first);
      const ends = await endOffsets(admin, topic);
      await untilMember(first, () => (reached(acked(first.events), ends) ? true : undefined), 45_000, 'the group to commit all 30 records', topic);
      const before = await committedOn(admin, group, topic);
      expect(before).toEqual(ends);

      const { victim } = await killCoordinator(group);
      const survivors = live();
      const check = await connected(kafkaOn(survivors, `${group}-check`).admin());
      const after = await eventually(() => committedOn(check, group, topic).catch(() => undefined), 30_000, 'the committed offsets on the new coordinator');
      expect(after).toEqual(before);

      // The application restarts its member (kafkajs#1630): the new one starts at the committed offsets.
      await first.kill();
      const second = spawnMember(process.execPath, [KAFKAJS_MEMBER, '--brokers', addresses(survivors).join(','), '--group', group, '--topic', topic], DEBUG_LOG === undefined ? {} : { RILL_DEBUG_LOG: DEBUG_LOG });
      members.push(second);
      const producer2 = await connected(kafkaOn(survivors, `${group}-producer2`).producer());
      await sendAll(producer2, topic, 30, 15);
      const ends2 = await endOffsets(check, topic);
      await untilMember(second, () => (reached(acked(second.events), ends2) ? true : undefined), 60_000, 'the restarted member to commit every record on the new coordinator', topic);
      // Nothing before a committed offset came again; nothing was skipped.
      expect(records(second.events).filter((r) => r.offset < (before.get(r.partition) ?? 0n))).toEqual([]);
      expect(unread([...first.events, ...second.events], ends2)).toEqual([]);
      expect(await committedOn(check, group, topic)).toEqual(ends2);
      await finishRun(victim, false);
    }, 240_000);

    it(`librdkafka: the same consumer finds the new coordinator and goes on from the committed offsets, nothing skipped or read again from before them (run ${run}/${RUNS})`, async () => {
      const { group, topic, everyone, producer } = await workload('librdkafka', run, 15);
      // A steady load while the coordinator dies: the member keeps reading and committing.
      let producing = true;
      let sent = 15;
      const load = (async () => {
        while (producing) {
          const from = sent;
          await producer.send({ topic, acks: -1, messages: Array.from({ length: 3 }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` })) }).then(
            () => (sent += 3),
            () => undefined,
          );
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const member = spawnMember('/usr/bin/python3', [LIBRDKAFKA_MEMBER, addresses(everyone).join(','), group, topic]);
      members.push(member);
      try {
        await untilMember(member, () => (member.events.filter((e) => e.event === 'committed').length >= 20 ? true : undefined), 45_000, 'the member to commit 20 records', topic);
        const atKill = member.events.length;
        const { victim } = await killCoordinator(group);
        const ackedBefore = acked(member.events.slice(0, atKill));
        const check = await connected(kafkaOn(live(), `${group}-check`).admin());
        // Every commit the old coordinator acknowledged is on the new one (or a later one is).
        const after = await eventually(() => committedOn(check, group, topic).catch(() => undefined), 30_000, 'the committed offsets on the new coordinator');
        for (const [p, offset] of ackedBefore) expect(after.get(p) ?? -1n, `partition ${p}`).toBeGreaterThanOrEqual(offset);
        // The same consumer commits on the new coordinator.
        await untilMember(member, () => (member.events.slice(atKill).filter((e) => e.event === 'committed').length >= 10 ? true : undefined), 60_000, 'the member to commit on the new coordinator', topic);
        producing = false;
        await load;
        const ends = await endOffsets(check, topic);
        await untilMember(member, () => (reached(acked(member.events), ends) ? true : undefined), 60_000, 'the member to commit every record', topic);
        expect(rewound(member.events), describeFailure(member)()).toEqual([]);
        expect(unread(member.events, ends), describeFailure(member)()).toEqual([]);
        expect(await committedOn(check, group, topic)).toEqual(ends);
        await member.close();
        await finishRun(victim, run === RUNS);
      } finally {
        producing = false;
        await load;
      }
    }, 240_000);
  }
});
