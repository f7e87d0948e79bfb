/**
 * Leader following: a broker that is not the leader answers FAILED_PRECONDITION / NOT_LEADER with
 * the leader's gRPC address in the ErrorInfo metadata (`leader`); RillClient retries the call
 * there and keeps using that address. Until clusters exist no Rill broker answers NOT_LEADER,
 * so the "follower" here is a grpc-js server with the real rill.v1 service definitions whose
 * handlers answer exactly what the server's status-map encodes; the leader is a real broker.
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
});
