/**
 * Produce→consume latency over the Kafka port: `perTick` 100-byte records every millisecond for
 * `seconds` at acks=1 from one connection, one long-polling Fetch consumer on another. Each
 * batch's base timestamp carries its send time in µs, so latency is measured per record without
 * any clock but this process's. Returns the latencies in ms, sorted. Shared by bench/kafka.ts and
 * bench/latency.ts.
 */
import { encodeRecordBatch } from '../storage/index.js';
import { API_KEY } from '../src/kafka/protocol/api-registry.js';
import { KafkaWireClient } from './kafka-wire-client.js';

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

export async function kafkaLatency(port: number, topic: string, seconds: number, perTick = 10): Promise<number[]> {
  const producer = await KafkaWireClient.connect(port);
  const consumer = await KafkaWireClient.connect(port);
  const latencies: number[] = [];
  let stop = false;
  let offset = 0n;
  const reading = (async () => {
    while (!stop) {
      const body = await consumer.request(API_KEY.Fetch, 11, {
        replicaId: -1, maxWaitMs: 200, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '',
      });
      const now = nowUs();
      const buf = (body.responses as Array<{ partitions: Array<{ records: Buffer | null }> }>)[0]!.partitions[0]!.records;
      if (buf === null) continue;
      for (let p = 0; p + 61 <= buf.length; p += buf.readInt32BE(p + 8) + 12) {
        const sentUs = Number(buf.readBigInt64BE(p + 27)); // the batch's base timestamp
        const count = buf.readInt32BE(p + 57);
        for (let i = 0; i < count; i += 1) latencies.push((now - sentUs) / 1000);
        offset = buf.readBigInt64BE(p) + BigInt(count);
      }
    }
  })();
  const value = Buffer.alloc(100, 0x64);
  for (let tick = 0; tick < seconds * 1000; tick += 1) {
    const sentUs = BigInt(nowUs());
    const batch = await encodeRecordBatch(Array.from({ length: perTick }, () => ({ key: null, value, timestampMs: sentUs })));
    void producer.request(API_KEY.Produce, 7, { transactionalId: null, acks: 1, timeoutMs: 30000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  stop = true;
  await reading;
  producer.close();
  consumer.close();
  return latencies.sort((x, y) => x - y);
}
