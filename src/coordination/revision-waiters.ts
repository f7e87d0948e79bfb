/**
 * RevisionWaiters: promises that resolve once the local view has applied a given etcd revision
 * (the watch delivers revisions in order). Each wait fails with UNAVAILABLE after its timeout
 * (a stalled watch must not hang the controller's queue) or when the session ends. Event-loop
 * only; `advance` is called after each applied watch batch.
 */
import { CoordinationError } from './coordination-error.js';

interface Waiter {
  revision: bigint;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class RevisionWaiters {
  private readonly waiters = new Set<Waiter>();

  wait(current: bigint, revision: bigint, timeoutMs: number): Promise<void> {
    if (current >= revision) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new CoordinationError('UNAVAILABLE', `the etcd watch did not reach revision ${revision} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        revision,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.add(waiter);
    });
  }

  advance(current: bigint): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.revision > current) continue;
      this.waiters.delete(waiter);
      waiter.resolve();
    }
  }

  rejectAll(error: Error): void {
    const all = [...this.waiters];
    this.waiters.clear();
    for (const waiter of all) waiter.reject(error);
  }
}
