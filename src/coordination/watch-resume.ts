/**
 * Where a watch resumes after its stream drops: the revision after the last response this
 * process received, never further. etcd3 (1.1.2, lib/watch.js) moves a watcher's resume point to
 * the revision of the "created" answer the moment a reconnection is acknowledged, before etcd has
 * replayed the events since the last one received; a second drop in that window made the next
 * reconnection start past them, and a view built from the watch would miss those changes for
 * good (a broker that missed another's registration would answer its partitions as leaderless).
 * So on every 'disconnected' the resume point is set back to what was received.
 *
 * Revisions are decimal strings (etcd's int64). Listeners only; single-threaded.
 */
import type { IWatchResponse } from 'etcd3';

/** The part of an etcd3 Watcher this guard uses (its public `request` and events). */
export interface ResumableWatch {
  readonly request: { start_revision?: string | number | null };
  on(event: 'data', listener: (res: IWatchResponse) => void): unknown;
  on(event: 'disconnected', listener: (error: unknown) => void): unknown;
}

/** Keeps `watch` resuming after the last revision it delivered (`from`: the revision it started after). */
export function resumeAfterReceived(watch: ResumableWatch, from: bigint): void {
  let received = from;
  watch.on('data', (res) => {
    const revision = BigInt(res.header.revision);
    if (revision > received) received = revision;
  });
  watch.on('disconnected', () => {
    (watch.request as { start_revision?: string }).start_revision = (received + 1n).toString();
  });
}
