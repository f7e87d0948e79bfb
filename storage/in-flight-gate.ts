/**
 * InFlightGate: counts async calls while they run, so an owner can close once they are done.
 * `run` refuses work after `drain` began; `drain` closes the gate and resolves when nothing is
 * running any more. Single-threaded JS: no locking beyond the counter.
 */
export class InFlightGate {
  private running = 0;
  private closed = false;
  private waiters: Array<() => void> = [];

  constructor(private readonly closedMessage: string) {}

  get isClosed(): boolean {
    return this.closed;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) throw new Error(this.closedMessage);
    this.running += 1;
    try {
      return await work();
    } finally {
      this.running -= 1;
      if (this.running === 0) for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** Refuses new work and waits for the running calls to finish. */
  drain(): Promise<void> {
    this.closed = true;
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
