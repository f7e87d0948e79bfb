/**
 * LivenessProbe against real sockets on loopback: a broker whose port accepted and then refuses
 * is revoked (once, with the lease it was reached under); one never reached is left to its lease;
 * a new lease starts over. (A paused broker, whose kernel still accepts, is in
 * test/integration/cluster/fast-failure-detection.test.ts.)
 */
import { createServer, type Server } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LivenessProbe, type ProbeTarget } from '../../../src/coordination/liveness-probe.js';
import { eventually } from '../../helpers/broker-process.js';

const log = pino({ level: 'silent' });

async function listening(port = 0): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

const closed = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('LivenessProbe', () => {
  const probes: LivenessProbe[] = [];
  afterEach(() => probes.splice(0).forEach((p) => p.stop()));

  it('revokes a broker whose port refuses after having accepted, once per lease', async () => {
    const { server, port } = await listening();
    const target: ProbeTarget = { nodeId: 2, host: '127.0.0.1', port, lease: 'L1' };
    let targets = [target];
    const revoked: ProbeTarget[] = [];
    const probe = new LivenessProbe(() => targets, async (t) => void revoked.push(t), log, 20);
    probes.push(probe);
    probe.start();
    await new Promise((r) => setTimeout(r, 150)); // reached while listening
    expect(revoked).toEqual([]);
    await closed(server);
    await eventually(() => (revoked.length > 0 ? true : undefined), 5000, 'the revocation');
    await new Promise((r) => setTimeout(r, 150));
    expect(revoked).toEqual([target]);
    // The broker registers again under a new lease on a new port: it starts over.
    const again = await listening();
    targets = [{ ...target, port: again.port, lease: 'L2' }];
    await new Promise((r) => setTimeout(r, 150));
    await closed(again.server);
    await eventually(() => (revoked.length > 1 ? true : undefined), 5000, 'the second revocation');
    expect(revoked[1]!.lease).toBe('L2');
  });

  it('never revokes a broker it never reached (a wrong advertised address)', async () => {
    const { server, port } = await listening();
    await closed(server); // nothing listens there from the start
    const revoked: ProbeTarget[] = [];
    const probe = new LivenessProbe(() => [{ nodeId: 3, host: '127.0.0.1', port, lease: 'L' }], async (t) => void revoked.push(t), log, 20);
    probes.push(probe);
    probe.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(revoked).toEqual([]);
  });
});
