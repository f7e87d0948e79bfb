/**
 * `rill consume --follow` survives a broker restart (issue 11 bug 9): it says on stderr that it
 * lost the broker, reconnects with backoff when the broker is back on the same address, and
 * resumes after the last printed record — nothing skipped, nothing printed twice. As a group
 * member (`--group`), it rejoins the group and resumes from the group's commits.
 */
import { describe, expect, it } from 'vitest';
import { eventually, removeDataDir, spawnBroker } from '../../helpers/broker-process.js';
import { rill, spawnRill } from './run-rill.js';

describe('consume --follow across a broker restart', () => {
  it('reconnects and resumes from the last printed offset', async () => {
    const first = await spawnBroker();
    const server = ['--server', first.grpcAddress];
    expect((await rill([...server, 'topic', 'create', 'live', '-p', '2'])).code).toBe(0);
    expect((await rill([...server, 'produce', 'live', '-p', '0'], { input: 'a0\na1\n' })).code).toBe(0);
    const follower = spawnRill([...server, 'consume', 'live', '--from-beginning', '--follow', '-f', '%p:%v']);
    let second: Awaited<ReturnType<typeof spawnBroker>> | undefined;
    try {
      expect(await follower.lines(2)).toEqual(['0:a0', '0:a1']);
      expect(await first.stop()).toBe(0);
      await follower.waitForStderr(/^rill: (lost the broker|the broker at \S+ is shutting down)[^\n]*; reconnecting to 127\.0\.0\.1:\d+/m);
      second = await spawnBroker({ dataDir: first.dataDir, args: ['--grpc-port', String(first.grpcPort)] });
      expect((await rill(['--server', second.grpcAddress, 'produce', 'live', '-p', '0'], { input: 'a2\n' })).code).toBe(0);
      expect((await rill(['--server', second.grpcAddress, 'produce', 'live', '-p', '1'], { input: 'b0\n' })).code).toBe(0);
      const lines = await follower.lines(4, 30_000);
      expect(lines.slice(0, 2)).toEqual(['0:a0', '0:a1']);
      expect(lines.slice(2).sort()).toEqual(['0:a2', '1:b0']);
      await follower.waitForStderr(/^rill: reconnected to 127\.0\.0\.1:\d+; resuming$/m);
      expect(follower.stderr()).not.toMatch(/\n\s+at /);
      expect(follower.child.exitCode).toBe(null);
    } finally {
      await follower.stop();
      await second?.stop();
      await first.stop();
      await removeDataDir(first.dataDir);
    }
  });

  it('rejoins its group and resumes from the commits as a --group member', async () => {
    const first = await spawnBroker();
    const server = ['--server', first.grpcAddress];
    expect((await rill([...server, 'topic', 'create', 'grouped', '-p', '2'])).code).toBe(0);
    expect((await rill([...server, 'produce', 'grouped', '-p', '0'], { input: 'a0\na1\n' })).code).toBe(0);
    const member = spawnRill([...server, 'consume', 'grouped', '--group', 'riders', '--from-beginning', '--follow', '-f', '%p:%v']);
    let second: Awaited<ReturnType<typeof spawnBroker>> | undefined;
    try {
      expect(await member.lines(2)).toEqual(['0:a0', '0:a1']);
      await eventually(async () => {
        const d = await rill([...server, 'group', 'describe', 'riders']);
        return /^grouped\s+0\s+2\s+2\s+0$/m.test(d.stdout) ? true : undefined;
      }, 15_000, 'the commit of offset 2');
      expect(await first.stop()).toBe(0);
      await member.waitForStderr(/; reconnecting to 127\.0\.0\.1:\d+/);
      second = await spawnBroker({ dataDir: first.dataDir, args: ['--grpc-port', String(first.grpcPort)] });
      await member.waitForStderr(/^rill: reconnected to 127\.0\.0\.1:\d+; resuming$/m, 30_000);
      expect((await rill(['--server', second.grpcAddress, 'produce', 'grouped', '-p', '1'], { input: 'b0\n' })).code).toBe(0);
      const lines = await member.lines(3, 30_000);
      expect(lines).toEqual(['0:a0', '0:a1', '1:b0']);
      expect(member.stderr()).not.toMatch(/\n\s+at /);
    } finally {
      await member.stop();
      await second?.stop();
      await first.stop();
      await removeDataDir(first.dataDir);
    }
  });
});
