/**
 * The Kafka consumer protocol's assignment bytes (ConsumerProtocolAssignment, every version
 * starts the same way: version i16, then [topic string, [partition i32]], then user data),
 * decoded only to show assignments in DescribeGroup. Opaque bytes elsewhere; a malformed or
 * foreign payload decodes to no partitions, never an error.
 */
import type { TopicPartitions } from './group.js';

export function decodeConsumerAssignment(bytes: Buffer): TopicPartitions[] {
  try {
    let at = 0;
    const need = (n: number) => {
      if (at + n > bytes.length) throw new RangeError('short assignment');
    };
    need(2 + 4);
    at += 2;
    const topicCount = bytes.readInt32BE(at);
    at += 4;
    if (topicCount < 0 || topicCount > bytes.length) return [];
    const out: TopicPartitions[] = [];
    for (let t = 0; t < topicCount; t += 1) {
      need(2);
      const nameLength = bytes.readInt16BE(at);
      at += 2;
      if (nameLength < 0) return [];
      need(nameLength + 4);
      const topic = bytes.toString('utf8', at, at + nameLength);
      at += nameLength;
      const count = bytes.readInt32BE(at);
      at += 4;
      if (count < 0) return [];
      need(count * 4);
      const partitions: number[] = [];
      for (let i = 0; i < count; i += 1) partitions.push(bytes.readInt32BE(at + i * 4));
      at += count * 4;
      out.push({ topic, partitions });
    }
    return out;
  } catch {
    return [];
  }
}

/** The same layout (version 0, no user data), for tests and for describing stream members to Kafka tools. */
export function encodeConsumerAssignment(assignment: readonly TopicPartitions[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0, 0]), int32(assignment.length)];
  for (const tp of assignment) {
    const name = Buffer.from(tp.topic, 'utf8');
    const length = Buffer.alloc(2);
    length.writeInt16BE(name.length);
    parts.push(length, name, int32(tp.partitions.length), ...tp.partitions.map(int32));
  }
  parts.push(int32(-1));
  return Buffer.concat(parts);
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
