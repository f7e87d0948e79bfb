/**
 * Conversions between `rill/client`'s public types and the wire shapes @grpc/proto-loader uses
 * (int64 as decimal strings, bytes as Buffer, optional fields absent when unset; see
 * src/grpc/load-protos.ts). Pure functions.
 */
import type { ConsumedRecordMsg, HeaderMsg, PartitionInfoMsg, ProduceRecordMsg, ProduceResponseMsg, TopicInfoMsg } from '../grpc/messages.js';
import type { Bytes, ConsumedRecord, PartitionInfo, ProduceRecord, ProduceResult, TopicInfo } from './types.js';

export function toBuffer(bytes: Bytes): Buffer {
  if (typeof bytes === 'string') return Buffer.from(bytes, 'utf8');
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A record, or a bare value, as the wire's ProduceRecord; `defaultKey` for records without a key of their own. */
export function toProduceRecordMsg(input: ProduceRecord | Bytes, defaultKey: Bytes | undefined): ProduceRecordMsg {
  const record: ProduceRecord = typeof input === 'string' || input instanceof Uint8Array ? { value: input } : input;
  const key = record.key === undefined ? defaultKey : record.key;
  const headers: HeaderMsg[] = [];
  const given = record.headers ?? [];
  const entries = Array.isArray(given) ? given.map((h) => [h.key, h.value] as const) : Object.entries(given);
  for (const [name, value] of entries) headers.push(value === null ? { key: name } : { key: name, value: toBuffer(value) });
  return {
    ...(key === undefined || key === null ? {} : { key: toBuffer(key) }),
    ...(record.value === null ? {} : { value: toBuffer(record.value) }),
    headers,
    ...(record.timestampMs === undefined ? {} : { timestampMs: record.timestampMs.toString() }),
  };
}

export function fromProduceResponse(msg: ProduceResponseMsg, recordCount: number): ProduceResult {
  const baseOffset = BigInt(msg.baseOffset);
  const positions =
    msg.positions.length > 0
      ? msg.positions.map((p) => ({ partition: p.partition, offset: BigInt(p.offset) }))
      : Array.from({ length: recordCount }, (_, i) => ({ partition: msg.partition, offset: baseOffset + BigInt(i) }));
  return { partition: msg.partition, baseOffset, positions };
}

export function fromConsumedRecord(topic: string, msg: ConsumedRecordMsg): ConsumedRecord {
  return {
    topic,
    partition: msg.partition,
    offset: BigInt(msg.offset),
    timestampMs: BigInt(msg.timestampMs),
    key: msg.key ?? null,
    value: msg.value ?? null,
    headers: msg.headers.map((h) => ({ key: h.key, value: h.value ?? null })),
  };
}

export function fromTopicInfo(msg: TopicInfoMsg): TopicInfo {
  return { name: msg.name, topicId: msg.topicId, partitions: msg.partitions, configs: { ...msg.configs }, effectiveConfigs: msg.effectiveConfigs.map((c) => ({ ...c })) };
}

export function fromPartitionInfo(msg: PartitionInfoMsg): PartitionInfo {
  return {
    partition: msg.partition,
    logStartOffset: BigInt(msg.logStartOffset),
    logEndOffset: BigInt(msg.logEndOffset),
    highWatermark: BigInt(msg.highWatermark),
    sizeBytes: BigInt(msg.sizeBytes),
    leader: msg.leader,
    online: msg.online,
    error: msg.error,
    cleanableRatio: msg.cleanableRatio,
    leaderEpoch: msg.leaderEpoch,
    replicas: [...msg.replicas],
    isr: [...msg.isr],
  };
}
