/**
 * A stand-in cluster member for the multi-process harness: runs one etcdCoordination instance
 * (no broker yet) and exposes it over a tiny loopback HTTP API for the test process:
 *   GET  /state                      { nodeId, sessionActive, isController, controllerId, brokers, topics, assignments }
 *   POST /call { op, args }          runs a Coordination write; { result } or { error: { code, message, retriable } }
 * Prints {"msg":"ready","port":N} on stdout once registered; a refused start (e.g. a live
 * duplicate id) prints {"msg":"refused","code",...} and exits with status 2.
 * Usage: node coordination-member.js --etcd URL --node-id N [--lease-ttl-ms MS] [--root /p/] [--rack R]
 */
import { createServer, type IncomingMessage } from 'node:http';
import { parseArgs } from 'node:util';
import { destination, pino } from 'pino';
import { etcdCoordination, isCoordinationError, type Coordination } from '../../src/coordination/index.js';

const { values } = parseArgs({
  options: {
    etcd: { type: 'string' },
    'node-id': { type: 'string' },
    'lease-ttl-ms': { type: 'string', default: '2000' },
    root: { type: 'string', default: '/rill/' },
    rack: { type: 'string' },
  },
});
const nodeId = Number(values['node-id']);
if (values.etcd === undefined || !Number.isInteger(nodeId)) {
  process.stderr.write('usage: coordination-member --etcd URL --node-id N\n');
  process.exit(64);
}
const logger = pino({ level: process.env.RILL_TEST_LOG ?? 'warn', base: { nodeId } }, destination(2));
const coordination: Coordination = etcdCoordination({ endpoints: [values.etcd], leaseTtlMs: Number(values['lease-ttl-ms']), logger, root: values.root, requestTimeoutMs: 3000 });

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString());
}

async function call(op: string, args: unknown[]): Promise<unknown> {
  switch (op) {
    case 'createTopic':
      return coordination.createTopic(args[0] as Parameters<Coordination['createTopic']>[0]);
    case 'deleteTopic':
      return coordination.deleteTopic(String(args[0]));
    case 'createPartitions':
      return coordination.createPartitions(String(args[0]), Number(args[1]));
    case 'alterTopicConfigs':
      return coordination.alterTopicConfigs(String(args[0]), args[1] as Record<string, string>);
    case 'proposeIsr':
      return coordination.proposeIsr(String(args[0]), Number(args[1]), args[2] as number[], String(args[3]));
    case 'proposeIsrAll':
      // Many proposals in one turn, as a leader makes them when one replica fetch brings many followers in sync.
      return Promise.all((args[0] as Array<[string, number, number[], string]>).map(([t, p, isr, v]) => coordination.proposeIsr(t, p, isr, v)));
    case 'allocateProducerIds':
      return String(await coordination.allocateProducerIds(Number(args[0])));
    default:
      throw new Error(`unknown op ${op}`);
  }
}

const server = createServer((req, res) => {
  const reply = (status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value ?? null));
  };
  if (req.method === 'GET' && req.url === '/state') {
    reply(200, {
      nodeId,
      sessionActive: coordination.sessionActive(),
      isController: coordination.isController(),
      controllerId: coordination.controllerId() ?? null,
      brokers: coordination.brokers(),
      topics: coordination.topics(),
      assignments: coordination.assignments(),
    });
    return;
  }
  if (req.method === 'POST' && req.url === '/call') {
    body(req)
      .then((b) => {
        const { op, args } = b as { op: string; args: unknown[] };
        return call(op, args ?? []);
      })
      .then(
        (result) => reply(200, { result: result ?? null }),
        (error: unknown) =>
          reply(200, { error: { code: isCoordinationError(error) ? error.code : 'OTHER', message: error instanceof Error ? error.message : String(error), retriable: isCoordinationError(error) && error.retriable } }),
      );
    return;
  }
  reply(404, { error: { code: 'NOT_FOUND', message: req.url ?? '' } });
});

const shutdown = () => {
  server.close();
  void coordination.stop().finally(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

try {
  await coordination.start({ nodeId, host: '127.0.0.1', kafkaPort: 19000 + nodeId, grpcPort: 19100 + nodeId, httpPort: 19200 + nodeId, ...(values.rack === undefined ? {} : { rack: values.rack }) });
} catch (error) {
  const code = isCoordinationError(error) ? error.code : 'OTHER';
  process.stdout.write(`${JSON.stringify({ msg: 'refused', code, message: error instanceof Error ? error.message : String(error) })}\n`);
  await coordination.stop();
  process.exit(2);
}
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ msg: 'ready', port: typeof address === 'object' && address !== null ? address.port : 0 })}\n`);
});
