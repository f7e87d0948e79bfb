/**
 * RequestBytesPool: the broker-wide cap on bytes of Kafka requests in flight
 * (queued.max.request.bytes). A connection acquires a request's size when it dispatches it and
 * releases it once the request's answer is handed to the socket; while the pool is exhausted every connection stops
 * reading new requests and is told when bytes come back. Like Kafka's SimpleMemoryPool, a
 * request is never refused for its size: the one that crosses the cap is let in, and only later
 * reads wait (so one large request cannot deadlock the listener). A request parked in a wait
 * (a long poll, a JoinGroup) keeps its bytes until answered — such requests are small, but a
 * cap below their sum would hold everyone until they time out. Capacity -1 = no cap.
 * Single-threaded (the event loop); listeners run synchronously on release.
 */
export class RequestBytesPool {
  private usedBytes = 0;
  private readonly waiting = new Set<() => void>();

  constructor(readonly capacityBytes: number) {}

  get used(): number {
    return this.usedBytes;
  }

  /** True while new requests should wait. */
  get exhausted(): boolean {
    return this.capacityBytes >= 0 && this.usedBytes >= this.capacityBytes;
  }

  acquire(bytes: number): void {
    this.usedBytes += bytes;
  }

  release(bytes: number): void {
    const was = this.exhausted;
    this.usedBytes = Math.max(0, this.usedBytes - bytes);
    if (was && !this.exhausted) for (const wake of [...this.waiting]) wake();
  }

  /** Calls `wake` each time the pool stops being exhausted; returns an unsubscribe. */
  onAvailable(wake: () => void): () => void {
    this.waiting.add(wake);
    return () => this.waiting.delete(wake);
  }
}
