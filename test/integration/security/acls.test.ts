/**
 * ACLs on the Kafka front door with Kafka's semantics: kafkajs' admin creates, describes and
 * deletes ACLs as a super user (and is refused as anyone else); a principal without Read gets
 * TOPIC_AUTHORIZATION_FAILED and no records; Metadata lists only what the principal may
 * Describe (Read implies Describe); a DENY beats an ALLOW (here a prefixed User:* allow);
 * produce needs Write; group APIs need Read on the group; no ACL found means denied; a client
 * claiming a replica id is refused (CVE-2018-1288). Every negative also checks that the
 * authorised principal is still served.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/index.js';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { RawClient } from '../kafka/raw-client.js';
import { plain } from './sasl-raw.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const TOPIC_AUTHORIZATION_FAILED = 29;
const GROUP_AUTHORIZATION_FAILED = 30;
const CLUSTER_AUTHORIZATION_FAILED = 31;
const RESOURCE = { TOPIC: 2, GROUP: 3, CLUSTER: 4 };
const PATTERN = { ANY: 1, LITERAL: 3, PREFIXED: 4 };
const OP = { ANY: 1, ALL: 2, READ: 3, WRITE: 4, DESCRIBE: 8 };
const PERMISSION = { ANY: 1, DENY: 2, ALLOW: 3 };
const PASSWORDS: Record<string, string> = { admin: 'admin-pw', alice: 'alice-pw', bob: 'bob-pw', eve: 'eve-pw' };

function fetchBody(topic: string, replicaId = -1) {
  return {
    replicaId,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 * 1024 }] }],
    forgottenTopicsData: [],
    rackId: '',
  };
}

type FetchAnswer = { errorCode: number; responses: Array<{ topic: string; partitions: Array<{ errorCode: number; records: Buffer | null }> }> };

describe('ACLs', () => {
  let broker: BrokerProcess;
  let port: number;
  let admin: Admin;
  const clients: RawClient[] = [];

  const login = async (user: string) => {
    const c = new RawClient(port);
    clients.push(c);
    const result = await plain(c, user, PASSWORDS[user]!);
    if (result.errorCode !== 0) throw new Error(`login ${user}: ${result.errorCode}`);
    return c;
  };
  const fetchAs = async (user: string, topic: string, replicaId = -1) => (await login(user)).request<FetchAnswer>(API_KEY.Fetch, 12, fetchBody(topic, replicaId));
  const topicsSeenBy = async (user: string) =>
    (await (await login(user)).request<{ topics: Array<{ name: string; errorCode: number }> }>(API_KEY.Metadata, 9, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })).topics.map((t) => t.name).sort();
  /** alice may read `orders` and gets its two records. */
  const aliceStillReads = async () => {
    const answer = await fetchAs('alice', 'orders');
    const p = answer.responses[0]!.partitions[0]!;
    expect(p.errorCode).toBe(0);
    expect(p.records!.length).toBeGreaterThan(0);
  };

  beforeAll(async () => {
    const users = join(tmpdir(), `rill-acl-users-${process.pid}.json`);
    writeFileSync(users, JSON.stringify(PASSWORDS));
    broker = await spawnBroker({ args: ['--listeners', 'SASL_PLAINTEXT://127.0.0.1:0', '--sasl-users', users, '--authorizer', 'on', '--super-users', 'User:admin'] });
    port = (broker.ready.listeners as Record<string, number>).SASL_PLAINTEXT!;
    const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], sasl: { mechanism: 'scram-sha-256', username: 'admin', password: 'admin-pw' }, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders' }, { topic: 'secret' }, { topic: 'open' }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: [{ value: 'o1' }, { value: 'o2' }] });
    await producer.send({ topic: 'secret', messages: [{ value: 's1' }] });
    await producer.disconnect();
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await admin.disconnect();
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('kafkajs admin creates, describes and deletes ACLs as a super user', async () => {
    await admin.createAcls({
      acl: [
        { resourceType: RESOURCE.TOPIC, resourceName: 'orders', resourcePatternType: PATTERN.LITERAL, principal: 'User:alice', host: '*', operation: OP.READ, permissionType: PERMISSION.ALLOW },
        { resourceType: RESOURCE.TOPIC, resourceName: 'ord', resourcePatternType: PATTERN.PREFIXED, principal: 'User:*', host: '*', operation: OP.READ, permissionType: PERMISSION.ALLOW },
        { resourceType: RESOURCE.TOPIC, resourceName: 'orders', resourcePatternType: PATTERN.LITERAL, principal: 'User:bob', host: '*', operation: OP.READ, permissionType: PERMISSION.DENY },
        { resourceType: RESOURCE.GROUP, resourceName: 'alice-group', resourcePatternType: PATTERN.LITERAL, principal: 'User:alice', host: '*', operation: OP.ALL, permissionType: PERMISSION.ALLOW },
        { resourceType: RESOURCE.TOPIC, resourceName: 'scratch', resourcePatternType: PATTERN.LITERAL, principal: 'User:eve', host: '*', operation: OP.WRITE, permissionType: PERMISSION.ALLOW },
      ] as never,
    });
    const described = await admin.describeAcls({ resourceType: RESOURCE.TOPIC, resourcePatternType: PATTERN.ANY, operation: OP.ANY, permissionType: PERMISSION.ANY } as never);
    const flat = described.resources.flatMap((r) => r.acls.map((a) => `${r.resourceName}/${r.resourcePatternType} ${a.principal} ${a.operation} ${a.permissionType}`)).sort();
    expect(flat).toEqual(['ord/4 User:* 3 3', 'orders/3 User:alice 3 3', 'orders/3 User:bob 3 2', 'scratch/3 User:eve 4 3']);
    const deleted = await admin.deleteAcls({ filters: [{ resourceType: RESOURCE.TOPIC, resourceName: 'scratch', resourcePatternType: PATTERN.LITERAL, principal: 'User:eve', operation: OP.ANY, permissionType: PERMISSION.ANY }] as never });
    expect(deleted.filterResponses[0]!.matchingAcls.map((a) => a.resourceName)).toEqual(['scratch']);
    const after = await admin.describeAcls({ resourceType: RESOURCE.TOPIC, resourceName: 'scratch', resourcePatternType: PATTERN.LITERAL, operation: OP.ANY, permissionType: PERMISSION.ANY } as never);
    expect(after.resources).toEqual([]);
    await aliceStillReads();
  }, 30_000);

  it('refuses ACL changes by a principal without Alter on the cluster', async () => {
    const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], sasl: { mechanism: 'plain', username: 'alice', password: 'alice-pw' }, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const aliceAdmin = kafka.admin();
    await aliceAdmin.connect();
    try {
      await expect(
        aliceAdmin.createAcls({ acl: [{ resourceType: RESOURCE.TOPIC, resourceName: 'secret', resourcePatternType: PATTERN.LITERAL, principal: 'User:alice', host: '*', operation: OP.READ, permissionType: PERMISSION.ALLOW }] as never }),
      ).rejects.toThrow(/authoriz/i);
    } finally {
      await aliceAdmin.disconnect();
    }
    const secret = await fetchAs('alice', 'secret');
    expect(secret.responses[0]!.partitions[0]!.errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    await aliceStillReads();
  }, 30_000);

  it('answers TOPIC_AUTHORIZATION_FAILED and no records without Read, and lists only topics the principal may Describe', async () => {
    const secret = await fetchAs('alice', 'secret');
    const p = secret.responses[0]!.partitions[0]!;
    expect(p.errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    expect(p.records === null || p.records.length === 0).toBe(true);
    expect(await topicsSeenBy('alice')).toEqual(['orders']);
    expect(await topicsSeenBy('admin')).toEqual(['open', 'orders', 'secret']);
    // eve has no ACL of her own: only the User:* one on ord*; `open` has no ACL at all and
    // allow.everyone.if.no.acl.found is false, so it stays hidden and unreadable.
    expect(await topicsSeenBy('eve')).toEqual(['orders']);
    expect((await fetchAs('eve', 'open')).responses[0]!.partitions[0]!.errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    await aliceStillReads();
  }, 30_000);

  it('lets a DENY beat an ALLOW', async () => {
    // bob is allowed by the prefixed User:* ACL on ord* and denied by the literal one on orders.
    expect((await fetchAs('bob', 'orders')).responses[0]!.partitions[0]!.errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    expect(await topicsSeenBy('bob')).toEqual(['orders']); // Describe is not denied, only Read
    await aliceStillReads();
  }, 30_000);

  it('needs Write to produce and Read on the group to join it', async () => {
    const c = await login('alice');
    const records = await encodeRecordBatch([{ key: null, value: Buffer.from('x') }]);
    const produced = await c.request<{ responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> }>(API_KEY.Produce, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 'orders', partitionData: [{ index: 0, records }] }],
    });
    expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    const join = (group: string) =>
      c.request<{ errorCode: number }>(API_KEY.JoinGroup, 5, { groupId: group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] });
    expect((await join('other-group')).errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    expect((await join('alice-group')).errorCode).not.toBe(GROUP_AUTHORIZATION_FAILED);
    await aliceStillReads();
  }, 30_000);

  it('refuses a client that claims to be a replica (CVE-2018-1288), and keeps serving', async () => {
    const answer = await fetchAs('alice', 'orders', 1);
    expect(answer.errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
    expect(answer.responses[0]!.partitions[0]!.errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
    expect(answer.responses[0]!.partitions[0]!.records!.length).toBe(0);
    await aliceStillReads();
  }, 30_000);
});
