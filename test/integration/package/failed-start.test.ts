/**
 * A start that fails half-way releases everything (Broker.start): a taken Kafka port after gRPC
 * and HTTP were bound, and a data dir whose RocksDB LOCK another broker holds. Afterwards the
 * listeners it had opened are closed (the ports can be bound again, no extra server handle is
 * left) and RocksDB's LOCK is free (the same data dir starts).
 */
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../../src/lib/index.js';

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Two ports free right now (bound and released). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => listen()));
  const ports = servers.map(portOf);
  await Promise.all(servers.map(close));
  return ports;
}

function serverHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
}

describe('stop after a failed start', () => {
  it('a taken Kafka port: the gRPC and HTTP listeners and RocksDB are released', async () => {
    const taken = await listen();
    const [grpcPort, httpPort] = (await freePorts(2)) as [number, number];
    const first = await startBroker();
    const dataDir = `${first.dataDir}-reuse`;
    await first.stop();
    const handlesBefore = serverHandles();
    try {
      await expect(startBroker({ dataDir, grpcPort, httpPort, kafkaPort: portOf(taken) })).rejects.toThrow(/EADDRINUSE/);
      expect(serverHandles()).toBeLessThanOrEqual(handlesBefore);
      const rebound = await Promise.all([listen(grpcPort), listen(httpPort)]);
      await Promise.all(rebound.map(close));
      const again = await startBroker({ dataDir });
      await again.createTopic('after-failure');
      await again.stop();
    } finally {
      await close(taken);
      await import('node:fs/promises').then((fs) => fs.rm(dataDir, { recursive: true, force: true }));
    }
  });

  it('a data dir another broker holds: refused with the RocksDB lock error, and the holder keeps serving', async () => {
    const holder = await startBroker();
    const dataDir = holder.dataDir;
    const handlesBefore = serverHandles();
    await expect(startBroker({ dataDir })).rejects.toThrow(/lock/i);
    expect(serverHandles()).toBeLessThanOrEqual(handlesBefore);
    await holder.createTopic('still-serving');
    const kept = `${dataDir}-kept`;
    const second = await startBroker({ dataDir: kept });
    await second.stop();
    await holder.stop();
    // The lock is gone with the holder: the (temp, now removed) path can be started afresh.
    const again = await startBroker({ dataDir: kept });
    await again.stop();
    await import('node:fs/promises').then((fs) => fs.rm(kept, { recursive: true, force: true }));
  });

  it('an unbindable gRPC port after HTTP was bound: HTTP is released', async () => {
    const taken = await listen();
    const [httpPort] = (await freePorts(1)) as [number];
    const handlesBefore = serverHandles();
    try {
      await expect(startBroker({ httpPort, grpcPort: portOf(taken) })).rejects.toThrow();
      expect(serverHandles()).toBeLessThanOrEqual(handlesBefore);
      await close(await listen(httpPort));
    } finally {
      await close(taken);
    }
  });
});
