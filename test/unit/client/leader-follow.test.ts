/**
 * Leader following: a broker that is not the leader answers FAILED_PRECONDITION / NOT_LEADER with
 * the leader's gRPC address in the ErrorInfo metadata (`leader`); RillClient retries the call
 * there and keeps using that address. A group call answered with a `rill-coordinator` trailer is
 * retried on that coordinator the same way. The "follower" here is a grpc-js server with the
 * real rill.v1 service definitions whose handlers answer exactly what the server's status-map
 * encodes (test/integration/cluster/cli-cluster.test.ts does the same against real brokers);
 * the leader is a real broker. The bootstrap list skips an address nobody listens on.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RillClient } from '../../../src/client/index.js';
import { BrokerError } from '../../../src/errors.js';
import { loadRillProtos } from '../../../src/grpc/load-protos.js';
import { toServiceError } from '../../../src/grpc/status-map.js';
import { startBroker, type EmbeddedBroker } from '../../../src/lib/index.js';

function follower(leader: () => string | undefined): grpc.Server {
  const server = new grpc.Server();
  const { services } = loadRillProtos();
  const notLeader = (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
    const address = leader();
    callback(toServiceError(new BrokerError('NOT_LEADER', 'this broker is not the leader'), address === undefined ? {} : { leader: address }));
  };
  server.addService(services.ProduceService.service, { Produce: notLeader, ProduceStream: () => undefined });
  const notCoordinator = (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
    const trailers = new grpc.Metadata();
    trailers.set('rill-error-code', 'NOT_COORDINATOR');
    const address = leader();
    if (address !== undefined) trailers.set('rill-coordinator', address);
    callback({ code: grpc.status.UNAVAILABLE, details: 'this broker is not the coordinator of the group', metadata: trailers });
  };
  server.addService(services.GroupService.service, { ListGroups: notCoordinator, DescribeGroup: notCoordinator, FetchOffsets: notCoordinator, CommitOffsets: notCoordinator });
  return server;
}

describe('RillClient follows the leader', () => {
  let broker: EmbeddedBroker;
  let server: grpc.Server;
  let followerAddress = '';
  let leaderAddress: string | undefined;

  beforeAll(async () => {
    broker = await startBroker({ topics: [{ name: 'led' }] });
    server = follower(() => leaderAddress);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    followerAddress = `127.0.0.1:${port}`;
  });
  afterAll(async () => {
    server.forceShutdown();
    await broker.stop();
  });

  it('retries a NOT_LEADER call on the leader it names and stays there', async () => {
    leaderAddress = broker.grpc;
    const client = new RillClient(followerAddress);
    const result = await client.produce('led', ['x']);
    expect(result.baseOffset).toBe(0n);
    expect(client.address).toBe(broker.grpc);
    expect((await client.produce('led', ['y'])).baseOffset).toBe(1n);
    client.close();
  });

  it('surfaces NOT_LEADER when following is off or no leader is named', async () => {
    leaderAddress = broker.grpc;
    const off = new RillClient(followerAddress, { followLeader: false });
    await expect(off.produce('led', ['x'])).rejects.toMatchObject({ status: 'FAILED_PRECONDITION', code: 'NOT_LEADER', leaderAddress: broker.grpc });
    off.close();
    leaderAddress = undefined;
    const on = new RillClient(followerAddress);
    await expect(on.produce('led', ['x'])).rejects.toMatchObject({ code: 'NOT_LEADER' });
    on.close();
  });

  it('retries a group call on the coordinator a rill-coordinator trailer names', async () => {
    leaderAddress = broker.grpc;
    const client = new RillClient(followerAddress);
    await client.commitOffsets('g', [{ topic: 'led', partition: 0, offset: 1n }]);
    expect((await client.fetchOffsets('g', 'led')).map((o) => o.offset)).toEqual([1n]);
    expect(client.address).toBe(broker.grpc);
    client.close();
  });

  it('skips a bootstrap address nobody listens on, and without waitForReady names every address it could not reach', async () => {
    const dead = '127.0.0.1:1';
    const client = new RillClient([dead, broker.grpc], { waitForReady: false });
    expect((await client.listTopics()).map((t) => t.name)).toContain('led');
    expect(client.address).toBe(broker.grpc);
    client.close();
    const nowhere = new RillClient(`${dead},127.0.0.1:2`, { waitForReady: false });
    const err = await nowhere.listTopics().then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ status: 'UNAVAILABLE', unreachable: true });
    expect((err as Error).message).toMatch(/127\.0\.0\.1:1 \(connection refused\), 127\.0\.0\.1:2 \(connection refused\)/);
    nowhere.close();
  });
});
