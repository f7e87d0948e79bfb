/**
 * ConnectionWatch: what `consume --follow` does when the broker goes away. Every partition
 * reader reports its failures and successes here; the first failure after a success prints one
 * line on stderr ("lost the broker ...; reconnecting"), the first success after failures prints
 * one more ("reconnected ..."), however many partitions are being read. `backoff` waits
 * 100 ms, 200 ms, ... up to 5 s (with jitter) between attempts, and returns early on abort.
 */
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;

export class ConnectionWatch {
  private down = false;
  private attempts = 0;

  constructor(private readonly say: (line: string) => void) {}

  failed(reason: string, address: string): void {
    if (!this.down) this.say(`rill: ${reason}; reconnecting to ${address} (will resume after the last printed offsets)`);
    this.down = true;
  }

  succeeded(address: string): void {
    if (this.down) this.say(`rill: reconnected to ${address}; resuming`);
    this.down = false;
    this.attempts = 0;
  }

  backoff(signal: AbortSignal): Promise<void> {
    const base = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** this.attempts);
    this.attempts = Math.min(this.attempts + 1, 10);
    const ms = base / 2 + Math.random() * (base / 2);
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
