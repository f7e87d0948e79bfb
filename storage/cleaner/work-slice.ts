/**
 * WorkSlice: lets long CPU work share the event loop. `yield()` returns at once until the slice
 * has run for `sliceMs`, then waits one turn of the event loop (setImmediate), so appends and
 * fetches arriving meanwhile run between slices. Not a sleep: it only gives way.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

export class WorkSlice {
  private started = performance.now();

  constructor(private readonly sliceMs = 2) {}

  async yield(): Promise<void> {
    if (performance.now() - this.started < this.sliceMs) return;
    await nextTurn();
    this.started = performance.now();
  }
}
