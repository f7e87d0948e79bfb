/**
 * IsrProposals batches one turn's proposals into transactions of at most MAX_OPS_PER_TXN; a batch
 * whose compare fails is retried one proposal at a time so each answers for itself; a commit
 * error rejects its whole batch. The commit here is an in-memory CAS over a version map (the
 * etcd side is covered by test/integration/coordination/cluster.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { IsrProposals, type IsrWrite } from '../../../src/coordination/isr-proposals.js';
import { MAX_OPS_PER_TXN } from '../../../src/coordination/txn-chunks.js';

function store() {
  const versions = new Map<string, string>();
  const transactions: number[] = [];
  let revision = 10n;
  const commit = async (writes: readonly IsrWrite[]) => {
    transactions.push(writes.length);
    await Promise.resolve();
    const ok = writes.every((w) => (versions.get(w.key) ?? '1') === w.version);
    if (ok) {
      revision += 1n;
      for (const w of writes) versions.set(w.key, String(revision));
    }
    return { ok, revision };
  };
  return { versions, transactions, commit };
}

describe('IsrProposals', () => {
  it('writes one turn of proposals a hundred to a transaction', async () => {
    const s = store();
    const proposals = new IsrProposals(s.commit);
    const results = await Promise.all(Array.from({ length: 250 }, (_, i) => proposals.propose({ key: `p${i}`, version: '1', value: 'isr' })));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(s.transactions).toEqual([MAX_OPS_PER_TXN, MAX_OPS_PER_TXN, 50]);
    expect(new Set(results.map((r) => r.revision)).size).toBe(3);
  });

  it('answers each proposal of a failed batch for itself', async () => {
    const s = store();
    s.versions.set('p3', '7'); // someone else changed p3 since its proposer read it
    const proposals = new IsrProposals(s.commit);
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => proposals.propose({ key: `p${i}`, version: '1', value: 'isr' })));
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false, true]);
    expect(s.transactions).toEqual([5, 1, 1, 1, 1, 1]);
  });

  it('rejects the proposals of a transaction that fails, and serves later ones', async () => {
    let fail = true;
    const proposals = new IsrProposals(async () => {
      if (fail) throw new Error('etcd unreachable');
      return { ok: true, revision: 1n };
    });
    const first = [proposals.propose({ key: 'a', version: '1', value: 'x' }), proposals.propose({ key: 'b', version: '1', value: 'x' })];
    await expect(Promise.all(first)).rejects.toThrow('etcd unreachable');
    fail = false;
    await expect(proposals.propose({ key: 'a', version: '1', value: 'x' })).resolves.toEqual({ ok: true, revision: 1n });
  });
});
