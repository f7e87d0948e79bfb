/**
 * A reconnecting etcd3 watch resumes after the last revision received, not after the revision
 * of the reconnection's "created" answer (which etcd3 itself moves to before the replay arrives).
 * Uses etcd3's own Watcher class, so its listeners run as they do in the broker.
 */
import { Watcher, type IWatchResponse } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { resumeAfterReceived } from '../../../src/coordination/watch-resume.js';

const noManager = { attach: () => {} } as unknown as ConstructorParameters<typeof Watcher>[0];
const noNamespace = { unprefix: (key: Buffer) => key } as unknown as ConstructorParameters<typeof Watcher>[1];
const response = (revision: number) => ({ header: { revision: String(revision) }, events: [] }) as unknown as IWatchResponse;

/** An etcd3 Watcher started after revision 7 (a snapshot's), under the guard. */
function guardedWatcher(): Watcher {
  const w = new Watcher(noManager, noNamespace, { key: Buffer.from('/rill/'), start_revision: '8' });
  resumeAfterReceived(w, 7n);
  return w;
}

describe('resumeAfterReceived', () => {
  it('sets a dropped watch back to the revision after the last response received', () => {
    const w = guardedWatcher();
    w.emit('data', response(10));
    w.emit('disconnected', new Error('stream reset'));
    expect(w.request.start_revision).toBe('11');
    // Reconnected: etcd3 moves the resume point to the created answer's revision at once...
    w.emit('connected', response(50));
    expect(w.request.start_revision).toBe('51');
    // ...and a second drop before the replay of 11–50 arrived must not skip those events.
    w.emit('disconnected', new Error('stream reset again'));
    expect(w.request.start_revision).toBe('11');
    w.emit('data', response(50));
    w.emit('disconnected', new Error('third'));
    expect(w.request.start_revision).toBe('51');
  });

  it('resumes after the snapshot when nothing arrived yet', () => {
    const w = guardedWatcher();
    w.emit('connected', response(30));
    w.emit('disconnected', new Error('stream reset'));
    expect(w.request.start_revision).toBe('8');
  });
});
