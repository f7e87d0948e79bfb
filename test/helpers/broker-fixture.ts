/**
 * A real broker process (and a gRPC test client on it) for one `describe` block: started in
 * beforeAll on free ports with a temp data dir, stopped and removed in afterAll. Read the
 * broker and the client through the returned getters inside tests.
 */
import { afterAll, beforeAll } from 'vitest';
import { removeDataDir, spawnBroker, type BrokerProcess } from './broker-process.js';
import { TestClient } from './grpc-client.js';

export interface BrokerFixture {
  readonly broker: BrokerProcess;
  readonly client: TestClient;
}

export function useBroker(options: Parameters<typeof spawnBroker>[0] = {}): BrokerFixture {
  let broker: BrokerProcess | undefined;
  let client: TestClient | undefined;
  beforeAll(async () => {
    broker = await spawnBroker(options);
    client = new TestClient(broker.grpcAddress);
  });
  afterAll(async () => {
    client?.close();
    await broker?.stop();
    if (broker !== undefined) await removeDataDir(broker.dataDir);
  });
  return {
    get broker() {
      if (broker === undefined) throw new Error('the broker is not started yet (use it inside tests)');
      return broker;
    },
    get client() {
      if (client === undefined) throw new Error('the broker is not started yet (use it inside tests)');
      return client;
    },
  };
}
