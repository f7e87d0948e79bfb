/**
 * One kafkajs consumer-group member in its own process, for tests that kill brokers under it
 * (group-failover.test.ts). It runs `consumer.run` with a commit after every message
 * (autoCommitThreshold 1) and prints one JSON line per event on stdout:
 *   {"event":"record","partition":P,"offset":"O","value":"V"}   a message handed to eachMessage
 *   {"event":"committed","partition":P,"offset":"O"}            an OffsetCommit the coordinator acknowledged
 *   {"event":"joined","memberId":M}                              a JoinGroup/SyncGroup round finished
 * The test ends it with SIGKILL, as an application is restarted: kafkajs keeps a consumer bound
 * to a dead coordinator (kafkajs#1630), and stopping a kafkajs consumer while its fetchers are
 * being rebuilt after a broker loss can spin its event loop for good (the fetch manager restarts
 * fetchers after `stop`, whose fetches then return at once) — in a process of its own that can
 * hold nothing of the test's up.
 * Usage: node kafkajs-group-member.js --brokers h:p,h:p --group G --topic T
 * RILL_DEBUG_LOG=<file> appends kafkajs's debug log to that file.
 */
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type logCreator } from 'kafkajs';

const { values } = parseArgs({ options: { brokers: { type: 'string' }, group: { type: 'string' }, topic: { type: 'string' } } });
if (values.brokers === undefined || values.group === undefined || values.topic === undefined) {
  process.stderr.write('usage: kafkajs-group-member --brokers h:p,... --group G --topic T\n');
  process.exit(64);
}
const debugLog = process.env.RILL_DEBUG_LOG;
const toFile: logCreator = () => ({ namespace, level, log }) => {
  if (debugLog !== undefined) appendFileSync(debugLog, `${new Date().toISOString()} ${level} ${namespace} ${JSON.stringify(log)}\n`);
};
const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

const kafka = new Kafka({
  clientId: `member-${process.pid}`,
  brokers: values.brokers.split(','),
  logLevel: debugLog === undefined ? logLevel.NOTHING : logLevel.DEBUG,
  logCreator: toFile,
  retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 },
});
const consumer = kafka.consumer({ groupId: values.group, sessionTimeout: 10_000, heartbeatInterval: 500, retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 } });
consumer.on(consumer.events.GROUP_JOIN, (e) => print({ event: 'joined', memberId: e.payload.memberId }));
consumer.on(consumer.events.COMMIT_OFFSETS, (e) => {
  for (const t of e.payload.topics) for (const p of t.partitions) print({ event: 'committed', partition: Number(p.partition), offset: p.offset });
});
await consumer.connect();
await consumer.subscribe({ topic: values.topic, fromBeginning: true });
await consumer.run({
  autoCommitThreshold: 1,
  eachMessage: async ({ partition, message }) => {
    print({ event: 'record', partition, offset: message.offset, value: message.value?.toString() ?? null });
  },
});
