/**
 * Server reflection serves the real schema: a Python grpcio client (Debian's python3-grpcio,
 * installed by `make install`) that has no .proto file builds its stubs from reflection alone,
 * loads every served FileDescriptorProto into a protobuf DescriptorPool (which refuses
 * descriptors protoc would not make) and calls TopicService, ProduceService, ConsumeService and
 * the health service with them. Field names are as written in proto/ (max_bytes), maps are
 * protoc's `ConfigsEntry` with map_entry, optional fields carry proto3_optional. The client also
 * decodes an error's `grpc-status-details-bin` with the google.rpc schema.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';

const SCRIPT = fileURLToPath(new URL('./reflection-client.py', import.meta.url));

describe('reflection-driven Python client', () => {
  let broker: BrokerProcess;

  beforeAll(async () => {
    broker = await spawnBroker();
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('builds working stubs from the served descriptors alone', async () => {
    const { stdout } = await promisify(execFile)('/usr/bin/python3', [SCRIPT, broker.grpcAddress], { timeout: 60_000 });
    const seen = JSON.parse(stdout) as Record<string, unknown>;
    const services = ['grpc.health.v1.Health', 'rill.v1.ConsumeService', 'rill.v1.GroupService', 'rill.v1.ProduceService', 'rill.v1.TopicService'];
    expect(seen.services).toEqual(expect.arrayContaining([...services, 'grpc.reflection.v1.ServerReflection']));
    expect(seen.v1alpha_services).toEqual(seen.services);
    expect(seen.unknown_symbol_error).toBe(5);
    expect(seen.files).toMatchObject({
      'rill/v1/common.proto': [],
      'rill/v1/topic.proto': [],
      'rill/v1/produce.proto': ['rill/v1/common.proto'],
      'rill/v1/consume.proto': ['rill/v1/common.proto'],
      'rill/v1/group.proto': [],
      'grpc/health/v1/health.proto': [],
    });
    expect(seen.method_file).toBe('rill/v1/consume.proto');
    expect(seen.by_name_file).toBe('rill/v1/common.proto');
    expect(seen.fetch_fields).toEqual(['topic', 'partition', 'offset', 'max_bytes', 'max_wait_ms', 'batches']);
    expect(seen.configs_entry).toEqual({ full_name: 'rill.v1.TopicInfo.ConfigsEntry', map_entry: true });
    expect(seen.header_value_optional).toBe(true);
    expect(seen.header_value_proto3_optional).toBe(true);
    expect(seen.created).toMatchObject({ topic: { name: 'py-reflect', partitions: 2, configs: { 'retention.ms': '60000' } } });
    const fetched = seen.fetched as { records: Array<Record<string, unknown>>; next_offset: string };
    expect(fetched.records.map((r) => [r.key, r.value])).toEqual([
      ['aw==', 'dg=='],
      [undefined, 'bg=='],
    ]);
    expect(fetched.next_offset).toBe('2');
    expect(seen.first_has_key).toBe(true);
    expect(seen.second_has_key).toBe(false);
    expect(seen.subscribe).toEqual([
      ['started', 0, 0],
      ['records', 2, 2],
      ['caught_up', 0, 2],
    ]);
    expect(seen.health).toEqual({ status: 'SERVING' });
    expect(seen.describe_missing).toBe('NOT_FOUND');
    // The standard error details decode with google.rpc's own schema, independently of our code.
    expect(seen.describe_missing_details).toEqual({
      code: 5,
      message: 'unknown topic "no-such-topic"',
      type_url: 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'UNKNOWN_TOPIC',
      domain: 'rill',
      rill_error_code: 'UNKNOWN_TOPIC',
    });
  }, 90_000);
});
