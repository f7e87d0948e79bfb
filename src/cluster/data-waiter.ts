/**
 * The fetch purgatory: waits until any of several partitions has data past an offset (its high
 * watermark moves beyond it), the wait times out, or the caller aborts. Driven by the logs'
 * high-watermark events — no polling. Kafka Fetch, gRPC Fetch and Subscribe all wait here
 * (through Partition.fetch or, for multi-partition fetches, PartitionRegistry.waitForData). Every listener and timer is removed when the wait ends.
 */
/** Anything with a high watermark that announces its moves: a Partition, or a storage log. */
export interface HighWatermarkSource {
  readonly highWatermark: bigint;
  onHighWatermark(listener: (highWatermark: bigint) => void): () => void;
}

export interface DataWait {
  log: HighWatermarkSource;
  offset: bigint;
}

/** Resolves true when data arrived, false on timeout or abort. */
export function waitForData(waits: readonly DataWait[], maxWaitMs: number, signal?: AbortSignal): Promise<boolean> {
  if (waits.some((w) => w.log.highWatermark > w.offset)) return Promise.resolve(true);
  if (maxWaitMs <= 0 || signal?.aborted === true || waits.length === 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const unsubscribes: Array<() => void> = [];
    const finish = (arrived: boolean) => {
      clearTimeout(timer);
      for (const off of unsubscribes) off();
      signal?.removeEventListener('abort', onAbort);
      resolve(arrived);
    };
    const onAbort = () => finish(false);
    const timer = setTimeout(() => finish(false), maxWaitMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    for (const w of waits) {
      unsubscribes.push(w.log.onHighWatermark((hw) => hw > w.offset && finish(true)));
    }
  });
}
