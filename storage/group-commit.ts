/**
 * GroupCommit: shares fsyncs between concurrent appenders. Writes are numbered (the owner's
 * `writtenSeq()`, bumped after each completed write); `request(seq)` resolves after a sync that
 * started once write `seq` was complete. A sync running when the request arrives is joined if
 * it already covers `seq`; otherwise the request joins the single next sync. So every append of
 * one group write shares one sync, and a burst of N appends costs at most two syncs, not N. A
 * failed sync rejects everyone waiting on it; the owner decides what that means (the log goes
 * offline).
 */
interface Waiters {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function waiters(): Waiters {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export class GroupCommit {
  private current: { waiters: Waiters; covers: number } | undefined;
  private next: Waiters | undefined;
  private synced = 0;

  constructor(
    private readonly sync: () => Promise<void>,
    private readonly writtenSeq: () => number,
  ) {}

  /** Resolves once write `seq` (default: every write so far) is synced. */
  request(seq: number = this.writtenSeq()): Promise<void> {
    if (seq <= this.synced) return Promise.resolve();
    if (this.current !== undefined && seq <= this.current.covers) return this.current.waiters.promise;
    this.next ??= waiters();
    const { promise } = this.next;
    if (this.current === undefined) void this.drain();
    return promise;
  }

  private async drain(): Promise<void> {
    while (this.next !== undefined) {
      const batch = { waiters: this.next, covers: this.writtenSeq() };
      this.next = undefined;
      this.current = batch;
      try {
        await this.sync();
        if (batch.covers > this.synced) this.synced = batch.covers;
        batch.waiters.resolve();
      } catch (err) {
        batch.waiters.reject(err);
      }
    }
    this.current = undefined;
  }
}
