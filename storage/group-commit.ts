/**
 * GroupCommit: shares fsyncs between concurrent appenders. `request()` resolves after a sync
 * that *started* after the call; while one sync runs, every new request joins the single next
 * one, so a burst of N appends costs at most two syncs, not N. A failed sync rejects everyone
 * waiting on it; the owner decides what that means (the log goes offline).
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
  private running = false;
  private next: Waiters | undefined;

  constructor(private readonly sync: () => Promise<void>) {}

  request(): Promise<void> {
    if (this.next === undefined) this.next = waiters();
    const { promise } = this.next;
    if (!this.running) void this.drain();
    return promise;
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.next !== undefined) {
      const batch = this.next;
      this.next = undefined;
      try {
        await this.sync();
        batch.resolve();
      } catch (err) {
        batch.reject(err);
      }
    }
    this.running = false;
  }
}
