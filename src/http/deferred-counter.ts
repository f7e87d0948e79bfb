/**
 * DeferredCounter: a prom-client Counter whose increments are summed in plain numbers on the hot
 * path (two map lookups by strings the caller already holds, no label hashing or validation) and
 * handed to prom-client when the registry is scraped (the counter's `collect` hook). What a scrape
 * shows is exactly what direct increments would show. Single-threaded (the event loop).
 */
import { Counter, type Registry } from 'prom-client';

interface Pending<L extends string> {
  labels: Record<L, string>;
  value: number;
}

export class DeferredCounter<L extends string> {
  private readonly pending = new Map<string, Map<string, Pending<L>>>();

  constructor(config: { name: string; help: string; labelNames: readonly L[]; registry: Registry }) {
    const pending = this.pending;
    new Counter<L>({
      name: config.name,
      help: config.help,
      labelNames: config.labelNames,
      registers: [config.registry],
      collect(this: Counter<L>) {
        for (const byKey of pending.values()) {
          for (const p of byKey.values()) {
            if (p.value === 0) continue;
            this.inc(p.labels, p.value);
            p.value = 0;
          }
        }
      },
    });
  }

  /** Adds `value` to the series `labels()` builds; (`first`, `second`) identify it (e.g. topic and ''). */
  add(first: string, second: string, labels: () => Record<L, string>, value: number): void {
    let byKey = this.pending.get(first);
    if (byKey === undefined) this.pending.set(first, (byKey = new Map()));
    const p = byKey.get(second);
    if (p === undefined) byKey.set(second, { labels: labels(), value });
    else p.value += value;
  }
}
