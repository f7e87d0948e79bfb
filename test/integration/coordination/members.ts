/**
 * In-process coordination members for the integration tests: N etcdCoordination instances in
 * this test process against one real etcd, each test under its own key root so tests share the
 * etcd without seeing each other. Optional fault proxy per member on its etcd link.
 */
import { pino } from 'pino';
import { etcdCoordination, type BrokerEndpoint, type Coordination } from '../../../src/coordination/index.js';
import { startFaultProxy, type FaultProxy } from '../../helpers/fault-proxy.js';
import type { EtcdServer } from '../../helpers/etcd.js';

export const logger = pino({ level: process.env.RILL_TEST_LOG ?? 'silent' });

let roots = 0;

export function endpointOf(nodeId: number, rack?: string): BrokerEndpoint {
  return { nodeId, host: '127.0.0.1', kafkaPort: 9000 + nodeId, grpcPort: 9100 + nodeId, httpPort: 9200 + nodeId, ...(rack === undefined ? {} : { rack }) };
}

export interface Member {
  nodeId: number;
  coordination: Coordination;
  proxy: FaultProxy | undefined;
}

export class Members {
  readonly root = `/rill-test-${process.pid}-${++roots}/`;
  readonly all: Member[] = [];

  constructor(private readonly etcd: EtcdServer, private readonly leaseTtlMs = 2000) {}

  /** Creates (not starts) a member; with `proxied` its etcd link goes through a fault proxy. */
  async create(nodeId: number, options: { proxied?: boolean } = {}): Promise<Member> {
    const proxy = options.proxied === true ? await startFaultProxy({ host: '127.0.0.1', port: this.etcd.clientPort }) : undefined;
    const endpoint = proxy === undefined ? this.etcd.endpoint : `http://${proxy.address}`;
    const coordination = etcdCoordination({ endpoints: [endpoint], leaseTtlMs: this.leaseTtlMs, logger: logger.child({ nodeId }), root: this.root, requestTimeoutMs: 3000 });
    const member = { nodeId, coordination, proxy };
    this.all.push(member);
    return member;
  }

  async start(nodeId: number, options: { proxied?: boolean; rack?: string } = {}): Promise<Member> {
    const member = await this.create(nodeId, options);
    await member.coordination.start(endpointOf(nodeId, options.rack));
    return member;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.all.map(async (m) => {
      await m.coordination.stop();
      await m.proxy?.close();
    }));
    this.all.length = 0;
  }
}
