// Runs in a temp project where the packed tarball is installed: the package entries resolve
// through `exports` alone. Prints one JSON line with what it saw.
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from 'rill';
import { RillClient } from 'rill/client';
import { withBroker } from 'rill/testing';

const broker = await startBroker({ topics: [{ name: 'greetings', partitions: 1 }] });
const kafka = new Kafka({ brokers: [broker.kafka], logLevel: logLevel.NOTHING });
const producer = kafka.producer();
await producer.connect();
await producer.send({ topic: 'greetings', messages: [{ key: 'a', value: 'hello' }, { key: 'b', value: 'world' }] });
await producer.disconnect();
const client = new RillClient(broker.grpc);
const seen = [];
for await (const record of client.subscribe({ topic: 'greetings', from: 'earliest' })) {
  seen.push(`${record.offset}:${record.key}=${record.value}`);
  if (seen.length === 2) break;
}
client.close();
await broker.stop();
const memory = await withBroker(async (b) => {
  const c = new RillClient(b.grpc);
  const sent = await c.produce('mem', ['x']);
  c.close();
  return typeof sent.baseOffset;
}, { storage: 'memory', topics: [{ name: 'mem' }] });
console.log(JSON.stringify({ seen, memory }));
