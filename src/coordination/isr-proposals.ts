/**
 * IsrProposals: a leader's ISR proposals gathered for one event-loop turn and written to etcd
 * up to MAX_OPS_PER_TXN to a transaction, each compared on its partition's version (the commit
 * function adds the leader's own lease compare). A broker rejoining thousands of ISRs thus
 * costs its leaders a transaction per hundred partitions, not one each: one each was a burst
 * of thousands of etcd calls that held the leader's event loop for about a second.
 *
 * A transaction whose compare failed does not say which one: its proposals are tried again one
 * to a transaction (txn-chunks.ts), so each resolves `ok` exactly when its own CAS landed. An
 * error (etcd unreachable) rejects every proposal of its transaction not yet answered.
 * Single-threaded: the only state is the queue, flushed on the next turn after the first
 * proposal.
 */
import { commitOrEach, MAX_OPS_PER_TXN, type TxnResult } from './txn-chunks.js';

/** One proposal: put `value` at `key` if its mod revision is still `version`. */
export interface IsrWrite {
  key: string;
  version: string;
  value: string;
}

interface Pending {
  write: IsrWrite;
  resolve: (result: TxnResult) => void;
  reject: (err: unknown) => void;
}

export class IsrProposals {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(private readonly commit: (writes: readonly IsrWrite[]) => Promise<TxnResult>) {}

  propose(write: IsrWrite): Promise<TxnResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    for (let i = 0; i < batch.length; i += MAX_OPS_PER_TXN) await this.commitChunk(batch.slice(i, i + MAX_OPS_PER_TXN));
  }

  private async commitChunk(chunk: Pending[]): Promise<void> {
    try {
      await commitOrEach(chunk.map((p) => p.write), this.commit, (i, result) => chunk[i]!.resolve(result));
    } catch (err) {
      for (const p of chunk) p.reject(err); // (a no-op for those already answered)
    }
  }
}
