/**
 * Writing many compare-and-swaps to etcd a chunk at a time: the chunk size, and the one rule
 * both the controller's reconcile and a leader's ISR proposals follow — commit a chunk as one
 * transaction and, when one of its compares fails (etcd does not say which), commit its items
 * one to a transaction, so each item gets its own outcome. Stateless.
 */

/** etcd allows 128 compares or operations a transaction (--max-txn-ops); a hundred leaves room for the fencing compares. */
export const MAX_OPS_PER_TXN = 100;

export interface TxnResult {
  ok: boolean;
  revision: bigint;
}

/**
 * Commits `items` (at most MAX_OPS_PER_TXN) with `commit`: together, else one by one. `settle`
 * hears each item's outcome as soon as it is known; an error from `commit` propagates and
 * leaves the items not yet settled unsettled.
 */
export async function commitOrEach<T>(items: readonly T[], commit: (items: readonly T[]) => Promise<TxnResult>, settle: (index: number, result: TxnResult) => void): Promise<void> {
  if (items.length > 1) {
    const all = await commit(items);
    if (all.ok) {
      items.forEach((_, i) => settle(i, all));
      return;
    }
  }
  for (let i = 0; i < items.length; i += 1) settle(i, await commit([items[i]!]));
}
