/**
 * The standard grpc.health.v1 service and server reflection answer like any gRPC server's, so
 * grpcurl-style tools can explore the broker. Messages are encoded by hand (tiny protobufs).
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';

const raw = { requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b };

describe('health and reflection', () => {
  let broker: BrokerProcess;
  let client: grpc.Client;

  beforeAll(async () => {
    broker = await spawnBroker();
    client = new grpc.Client(broker.grpcAddress, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client.close();
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('reports SERVING for the server and for a rill service', async () => {
    const check = (service: string) =>
      new Promise<Buffer>((resolve, reject) => {
        const name = Buffer.from(service);
        const request = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, name.length]), name]);
        client.makeUnaryRequest('/grpc.health.v1.Health/Check', raw.requestSerialize, raw.responseDeserialize, request, (err, res) => (err ? reject(err) : resolve(res!)));
      });
    const SERVING = Buffer.from([0x08, 0x01]);
    expect(await check('')).toEqual(SERVING);
    expect(await check('rill.v1.ProduceService')).toEqual(SERVING);
  });

  it('lists the rill services through reflection', async () => {
    const listed = await new Promise<string>((resolve, reject) => {
      const stream = client.makeBidiStreamRequest('/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo', raw.requestSerialize, raw.responseDeserialize);
      stream.on('data', (res: Buffer) => {
        resolve(res.toString('latin1'));
        stream.end();
      });
      stream.on('error', reject);
      stream.write(Buffer.from([0x3a, 0x01, 0x2a]));
    });
    for (const service of ['rill.v1.TopicService', 'rill.v1.ProduceService', 'rill.v1.ConsumeService', 'rill.v1.GroupService']) {
      expect(listed).toContain(service);
    }
  });
});
