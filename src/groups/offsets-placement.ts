/**
 * Where a group lives: Kafka's rule (GroupMetadataManager.partitionFor) — the group's
 * coordinator is the leader of partition `abs(groupId.hashCode()) % numPartitions` of the internal
 * `__consumer_offsets` topic, with Java's String.hashCode (31-polynomial over UTF-16 code units,
 * 32-bit wrap-around) and Kafka's Utils.abs (Integer.MIN_VALUE maps to 0). Using the same
 * function as Kafka means a group id lands on the same partition number in both. Pure.
 */

/** The internal topic of committed offsets (Kafka's name, so tools that know it recognise it). */
export const OFFSETS_TOPIC = '__consumer_offsets';

/** Java's String.hashCode: s[0]·31^(n−1) + … + s[n−1], in 32-bit two's complement. */
export function javaStringHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i += 1) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  return hash;
}

/** Kafka's Utils.abs: |n|, except that Integer.MIN_VALUE (which has no positive twin) is 0. */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/** The `__consumer_offsets` partition that holds `groupId`'s offsets (its leader coordinates the group). */
export function offsetsPartitionFor(groupId: string, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) throw new RangeError(`the offsets topic needs at least one partition, got ${numPartitions}`);
  return kafkaAbs(javaStringHashCode(groupId)) % numPartitions;
}
