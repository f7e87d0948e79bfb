/**
 * The shape most Kafka requests share — topics, each with partitions — mapped to the matching
 * response shape, every partition handled concurrently.
 */
export function mapPartitions<P, R>(
  topics: ReadonlyArray<{ name: string; partitions: readonly P[] }>,
  handle: (topic: string, partition: P) => Promise<R>,
): Promise<Array<{ name: string; partitions: R[] }>> {
  return Promise.all(topics.map(async (t) => ({ name: t.name, partitions: await Promise.all(t.partitions.map((p) => handle(t.name, p))) })));
}
