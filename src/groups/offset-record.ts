/**
 * The records of `__consumer_offsets` as Rill writes them (one record per committed partition,
 * ordinary RecordBatch v2 batches, uncompressed; the topic is compacted by key, so the newest
 * record of a key is the committed offset and a tombstone removes it). Big-endian throughout;
 * strings are a length (int16, UTF-8 bytes) followed by the bytes.
 *
 * Key, version 1 — one committed offset:
 *   version   int16  = 1
 *   group     string (≤ 32767 bytes)
 *   topic     string
 *   partition int32
 *
 * Value, version 1 (null value = tombstone: the offset was deleted — DeleteGroups, expiry):
 *   version           int16 = 1
 *   offset            int64  the next offset to read (any value a Kafka client commits, −1 included)
 *   leaderEpoch       int32  the epoch of the last consumed record, −1 if unknown
 *   metadata          int32 length + UTF-8 bytes (the commit's metadata string; ≤ offset.metadata.max.bytes)
 *   commitTimestampMs int64  the coordinator's clock when it accepted the commit
 *   topicId           string the id of the topic the offset was committed on ("" = unknown): a
 *                            load leaves out offsets of an earlier topic of the same name
 *                            (deleted and created again), as Kafka's tombstones on topic
 *                            deletion would
 *
 * Worked example: group "g", topic "t", partition 0, offset 42, epoch −1, metadata "", time
 * 1700000000000 ms, topic id "" → key `0001 0001 67 0001 74 00000000`, value
 * `0001 000000000000002a ffffffff 00000000 0000018bcfe56800 0000`.
 *
 * Readers skip keys of a version they do not know (a later Rill may add group-metadata keys, as
 * Kafka's version 2 keys are); a malformed key or value is reported, never guessed at. Pure.
 */
import { BrokerError } from '../errors.js';

export const OFFSET_KEY_VERSION = 1;
export const OFFSET_VALUE_VERSION = 1;
const MAX_STRING_BYTES = 32767;

export interface OffsetKey {
  group: string;
  topic: string;
  partition: number;
}

export interface OffsetValue {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  /** The committed-on topic's id; "" when unknown (offsets migrated from RocksDB). */
  topicId: string;
}

function stringBytes(text: string, what: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > MAX_STRING_BYTES) throw new BrokerError(what === 'group id' ? 'INVALID_GROUP_ID' : 'INVALID_REQUEST', `the ${what} is ${bytes.length} bytes; at most ${MAX_STRING_BYTES} are allowed`);
  return bytes;
}

export function encodeOffsetKey(key: OffsetKey): Buffer {
  const group = stringBytes(key.group, 'group id');
  const topic = stringBytes(key.topic, 'topic name');
  const out = Buffer.alloc(2 + 2 + group.length + 2 + topic.length + 4);
  let at = out.writeInt16BE(OFFSET_KEY_VERSION, 0);
  at = out.writeInt16BE(group.length, at);
  at += group.copy(out, at);
  at = out.writeInt16BE(topic.length, at);
  at += topic.copy(out, at);
  out.writeInt32BE(key.partition, at);
  return out;
}

export function encodeOffsetValue(value: OffsetValue): Buffer {
  const metadata = Buffer.from(value.metadata, 'utf8');
  const topicId = stringBytes(value.topicId, 'topic id');
  const out = Buffer.alloc(2 + 8 + 4 + 4 + metadata.length + 8 + 2 + topicId.length);
  let at = out.writeInt16BE(OFFSET_VALUE_VERSION, 0);
  at = out.writeBigInt64BE(value.offset, at);
  at = out.writeInt32BE(value.leaderEpoch, at);
  at = out.writeInt32BE(metadata.length, at);
  at += metadata.copy(out, at);
  at = out.writeBigInt64BE(BigInt(value.commitTimestampMs), at);
  at = out.writeInt16BE(topicId.length, at);
  topicId.copy(out, at);
  return out;
}

class Cursor {
  private at = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  private need(bytes: number): void {
    if (bytes < 0 || this.at + bytes > this.buf.length) throw new Error(`${this.what} is truncated at byte ${this.at} (${this.buf.length} bytes)`);
  }
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.at);
    this.at += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.at);
    this.at += 8;
    return v;
  }
  string(length: number): string {
    this.need(length);
    const v = this.buf.toString('utf8', this.at, this.at + length);
    this.at += length;
    return v;
  }
  end(): void {
    if (this.at !== this.buf.length) throw new Error(`${this.what} has ${this.buf.length - this.at} bytes after its last field`);
  }
}

/** The key, or null for a key version this reader does not know. Throws on a malformed key. */
export function decodeOffsetKey(buf: Buffer): OffsetKey | null {
  const c = new Cursor(buf, 'offsets key');
  const version = c.int16();
  if (version !== OFFSET_KEY_VERSION) return null;
  const group = c.string(c.int16());
  const topic = c.string(c.int16());
  const partition = c.int32();
  c.end();
  return { group, topic, partition };
}

/** The value (null = tombstone). Throws on a malformed value or an unknown version. */
export function decodeOffsetValue(buf: Buffer | null): OffsetValue | null {
  if (buf === null) return null;
  const c = new Cursor(buf, 'offsets value');
  const version = c.int16();
  if (version !== OFFSET_VALUE_VERSION) throw new Error(`offsets value version ${version} is unknown (this broker writes ${OFFSET_VALUE_VERSION})`);
  const offset = c.int64();
  const leaderEpoch = c.int32();
  const metadata = c.string(c.int32());
  const commitTimestampMs = Number(c.int64());
  const topicId = c.string(c.int16());
  c.end();
  return { offset, leaderEpoch, metadata, commitTimestampMs, topicId };
}
