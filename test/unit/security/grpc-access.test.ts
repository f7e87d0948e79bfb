/** Every rill.v1 gRPC method has an access rule (none runs unchecked), and the rules use Kafka's operations. */
import { describe, expect, it } from 'vitest';
import { loadRillProtos } from '../../../src/grpc/load-protos.js';
import { methodsWithRules, refusal, type Can } from '../../../src/security/grpc-access.js';

describe('gRPC access rules', () => {
  it('cover every method of the four services', () => {
    const { services } = loadRillProtos();
    const served = (['TopicService', 'ProduceService', 'ConsumeService', 'GroupService'] as const).flatMap((s) => Object.values(services[s].service).map((m) => m.path));
    expect(served.filter((p) => !methodsWithRules().includes(p))).toEqual([]);
    expect(refusal('/rill.v1.Unknown/Method', {}, () => true)).toMatch(/no access rule/);
  });

  it('ask for the operations Kafka would', () => {
    const asked: string[] = [];
    const can: Can = (resource, name, operation) => {
      asked.push(`${resource}:${name}:${operation}`);
      return false;
    };
    refusal('/rill.v1.ProduceService/ProduceStream', { topic: 'orders' }, can);
    refusal('/rill.v1.ConsumeService/Subscribe', { topic: 'orders' }, can);
    refusal('/rill.v1.TopicService/Create', { name: 'new' }, can);
    refusal('/rill.v1.GroupService/CommitOffsets', { group: 'g', offsets: [{ topic: 'orders' }] }, can);
    expect(asked).toEqual(['Topic:orders:Write', 'Topic:orders:Read', 'Cluster:kafka-cluster:Create', 'Topic:new:Create', 'Group:g:Read']);
    expect(refusal('/grpc.health.v1.Health/Check', {}, can)).toBeUndefined();
  });
});
