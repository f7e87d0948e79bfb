/**
 * Turns a rill.v1 ProduceRequest into appends: picks each record's partition (explicit, by
 * murmur2 of the key like Kafka's Java client, or — for keyless records — one partition per
 * request, round-robin across requests over the partitions this broker leads), checks that
 * this broker leads every partition the request touches before appending to any, encodes the
 * records of each partition into batches no larger than the topic's max.message.bytes, appends
 * them (one atomic append per partition) and reports where the records landed (per record only
 * when they went to several partitions). Shared by Produce and ProduceStream.
 *
 * A request decoded by hand (WireProduceRequest) whose records all go to one partition
 * uncompressed skips the record objects: its batch is written from the request's bytes
 * (storage's encodeSpanBatch), the same bytes the object path would build; one larger than
 * max.message.bytes takes the object path, which splits it.
 *
 * The batch form (`batches`: pre-encoded RecordBatch v2) goes to its explicit partition as one
 * append, as Kafka Produce does: the log validates it (CRC, framing, size) and stores it
 * verbatim, so nothing is decoded or re-encoded here.
 */
import { countRecords, encodeRecordBatch, encodeSpanBatch, type Compression, type RecordInput } from '../../storage/index.js';
import { isInternalTopicName, partitionForKey, type PartitionRegistry, type Topic } from '../cluster/index.js';
import { BrokerError } from '../errors.js';
import type { BrokerMetrics } from '../http/metrics.js';
import type { ProduceRecordMsg, ProduceRequestMsg, ProduceResponseMsg, RecordPositionMsg } from './messages.js';
import { WireProduceRequest } from './produce-request-decoder.js';
import { checkPartition, checkTopicName } from './request-checks.js';

/** Per-record overhead beyond key, value and headers in a batch, generously counted. */
const RECORD_OVERHEAD = 32;
const BATCH_OVERHEAD = 61;

export class RecordProducer {
  private roundRobin = 0;

  constructor(
    private readonly registry: PartitionRegistry,
    private readonly metrics: BrokerMetrics,
  ) {}

  async produce(req: ProduceRequestMsg): Promise<ProduceResponseMsg> {
    if (req.partition !== undefined) checkPartition(req.partition);
    const topic = this.registry.getTopic(checkTopicName(req.topic));
    if (isInternalTopicName(topic.name)) throw new BrokerError('INVALID_TOPIC', `cannot append to internal topic ${topic.name}: the group coordinator writes it`);
    if (req.batches !== undefined && req.batches.length > 0) return this.produceBatches(topic, req, req.batches);
    if (recordCount(req) === 0) throw new BrokerError('INVALID_REQUEST', 'a produce request needs at least one record');
    const maxBytes = topic.effective['max.message.bytes'];
    const compression = checkCompression(req.compression ?? '');
    checkAcks(req.acks);
    if (req instanceof WireProduceRequest && compression === 'none' && !(req.keyed && req.partition === undefined)) {
      // One partition, no compression: the batch is written straight from the request's bytes.
      const batch = encodeSpanBatch(req, Date.now());
      if (batch.length <= maxBytes) return this.produceOneBatch(topic, req, req.partition ?? this.nextLedPartition(topic), batch, req.count);
    }
    const partitions = this.assignPartitions(topic, req);
    const byPartition = new Map<number, number[]>();
    partitions.forEach((p, i) => {
      const indices = byPartition.get(p);
      if (indices === undefined) byPartition.set(p, [i]);
      else indices.push(i);
    });
    // All or nothing on this broker: no partition is appended to unless it leads every one.
    for (const partition of byPartition.keys()) this.registry.partition(topic.name, partition).checkLeader();
    const positions: RecordPositionMsg[] = new Array(req.records.length);
    await Promise.all(
      [...byPartition].map(async ([partition, indices]) => {
        const records = indices.map((i) => toRecordInput(req.records[i]!, maxBytes));
        const batches = await encodeInBatches(records, maxBytes, compression);
        const result = await this.registry.produce(topic.name, partition, batches, { acks: req.acks ?? 1 });
        this.metrics.produced(topic.name, batches.length, records.length);
        indices.forEach((recordIndex, k) => {
          positions[recordIndex] = { partition, offset: (result.baseOffset + BigInt(k)).toString() };
        });
      }),
    );
    const first = positions[0]!;
    return { correlationId: req.correlationId, partition: first.partition, baseOffset: first.offset, positions: byPartition.size > 1 ? positions : [] };
  }

  private async produceOneBatch(topic: Topic, req: ProduceRequestMsg, partition: number, batch: Buffer, records: number): Promise<ProduceResponseMsg> {
    // Partition.append checks leadership (and the epoch) itself.
    const result = await this.registry.produce(topic.name, partition, batch, { acks: req.acks ?? 1 });
    this.metrics.produced(topic.name, batch.length, records);
    return { correlationId: req.correlationId, partition, baseOffset: result.baseOffset.toString(), positions: [] };
  }

  private async produceBatches(topic: Topic, req: ProduceRequestMsg, batches: Buffer): Promise<ProduceResponseMsg> {
    if (recordCount(req) > 0) throw new BrokerError('INVALID_REQUEST', 'a produce request carries records or batches, not both');
    if (req.partition === undefined) throw new BrokerError('INVALID_REQUEST', 'a produce request with batches needs an explicit partition');
    if (req.compression !== undefined && req.compression !== '') {
      throw new BrokerError('INVALID_REQUEST', 'compression applies to records; batches name their own compression in their attributes');
    }
    checkAcks(req.acks);
    const result = await this.registry.produce(topic.name, req.partition, batches, { acks: req.acks ?? 1 });
    if (!result.duplicate) this.metrics.produced(topic.name, batches.length, countRecords(batches));
    return { correlationId: req.correlationId, partition: req.partition, baseOffset: result.baseOffset.toString(), positions: [] };
  }

  /** The next partition round-robin that this broker leads (no array per request: this is the produce path); any one when it leads none. */
  private nextLedPartition(topic: Topic): number {
    const count = topic.partitionCount;
    const start = this.roundRobin++ % count;
    for (let i = 0; i < count; i += 1) {
      const p = topic.partitions[(start + i) % count];
      if (p?.role === 'leader') return p.index;
    }
    return start;
  }

  private assignPartitions(topic: Topic, req: ProduceRequestMsg): number[] {
    if (req.partition !== undefined) {
      this.registry.partition(topic.name, req.partition).checkLeader();
      return req.records.map(() => req.partition!);
    }
    // Keyless records go to one partition per request, round-robin over those this broker leads
    // (in a cluster a keyless producer needs no routing); keyed ones to their key's partition.
    const sticky = this.nextLedPartition(topic);
    return req.records.map((r) => (r.key === undefined ? sticky : partitionForKey(r.key, topic.partitionCount)));
  }
}

/** The request's records, counted without building them for one decoded by hand. */
function recordCount(req: ProduceRequestMsg): number {
  return req instanceof WireProduceRequest ? req.count : req.records.length;
}

function recordBytes(r: RecordInput): number {
  const headers = (r.headers ?? []).reduce((sum, h) => sum + Buffer.byteLength(h.key) + (h.value?.length ?? 0) + 10, 0);
  return (r.key?.length ?? 0) + (r.value?.length ?? 0) + headers + RECORD_OVERHEAD;
}

function toRecordInput(msg: ProduceRecordMsg, maxBytes: number): RecordInput {
  const record: RecordInput = {
    key: msg.key ?? null,
    value: msg.value ?? null,
    headers: msg.headers.map((h) => ({ key: h.key, value: h.value ?? null })),
  };
  if (msg.timestampMs !== undefined) {
    if (!/^\d+$/.test(msg.timestampMs)) throw new BrokerError('INVALID_REQUEST', `timestamp_ms must be ≥ 0, got ${msg.timestampMs}`);
    record.timestampMs = BigInt(msg.timestampMs);
  }
  if (recordBytes(record) + BATCH_OVERHEAD > maxBytes) {
    throw new BrokerError('RECORD_TOO_LARGE', `a record of about ${recordBytes(record)} bytes exceeds max.message.bytes (${maxBytes})`);
  }
  return record;
}

function checkAcks(acks: number | undefined): void {
  if (acks !== undefined && acks !== 1 && acks !== -1) {
    throw new BrokerError('INVALID_REQUEST', `acks must be 1 or -1 (all), got ${acks}: gRPC always answers, so there is no acks=0`);
  }
}

const CODECS: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

function checkCompression(value: string): Compression {
  if (value === '') return 'none';
  if (!(CODECS as readonly string[]).includes(value)) throw new BrokerError('INVALID_REQUEST', `compression must be one of ${CODECS.join(', ')}, got "${value}"`);
  return value as Compression;
}

/** Encodes records into consecutive batches, each within `maxBytes` (counted uncompressed), concatenated. */
async function encodeInBatches(records: RecordInput[], maxBytes: number, compression: Compression): Promise<Buffer> {
  const batches: Buffer[] = [];
  let current: RecordInput[] = [];
  let size = BATCH_OVERHEAD;
  for (const r of records) {
    const bytes = recordBytes(r);
    if (current.length > 0 && size + bytes > maxBytes) {
      batches.push(await encodeRecordBatch(current, { compression }));
      current = [];
      size = BATCH_OVERHEAD;
    }
    current.push(r);
    size += bytes;
  }
  batches.push(await encodeRecordBatch(current, { compression }));
  return batches.length === 1 ? batches[0]! : Buffer.concat(batches);
}
