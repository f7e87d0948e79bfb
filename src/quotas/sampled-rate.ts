/**
 * SampledRate: Kafka's `Rate` over a `SampledStat` — the quota measure of KIP-13. Values are
 * summed into `windowNum` samples of `windowSizeMs` each (quota.window.num × quota.window.size);
 * a sample older than all of them together is reset before it is read. The rate is the sum of
 * the live samples divided by the elapsed time since the oldest sample began, never less than
 * `windowNum - 1` whole windows, so a new client cannot look fast because it has been around only
 * briefly. Time is passed in (a clock in ms), so tests drive it. Not shared across threads: one
 * event loop calls it.
 */

export interface RateWindows {
  /** quota.window.num (Kafka's 11). */
  windowNum: number;
  /** quota.window.size.seconds × 1000 (Kafka's 1 s). */
  windowSizeMs: number;
}

interface Sample {
  startMs: number;
  value: number;
}

export class SampledRate {
  private readonly samples: Sample[] = [];
  private current = 0;

  constructor(private readonly windows: RateWindows) {}

  /** Adds `value` at `nowMs` (negative values "unrecord", as Kafka does for a throttled fetch). */
  record(value: number, nowMs: number): void {
    let sample = this.samples[this.current];
    if (sample === undefined) {
      sample = { startMs: nowMs, value: 0 };
      this.samples.push(sample);
    } else if (nowMs - sample.startMs >= this.windows.windowSizeMs) {
      this.current = (this.current + 1) % this.windows.windowNum;
      sample = this.samples[this.current];
      if (sample === undefined) {
        sample = { startMs: nowMs, value: 0 };
        this.samples.push(sample);
      } else {
        sample.startMs = nowMs;
        sample.value = 0;
      }
    }
    sample.value += value;
  }

  /** The rate per second at `nowMs`. */
  measure(nowMs: number): number {
    this.purge(nowMs);
    const sum = this.samples.reduce((n, s) => n + s.value, 0);
    return sum / (this.windowMs(nowMs) / 1000);
  }

  /** The time the rate is measured over at `nowMs` (Kafka's Rate.windowSize). */
  windowMs(nowMs: number): number {
    this.purge(nowMs);
    if (this.samples.length === 0) this.samples.push({ startMs: nowMs, value: 0 });
    const oldest = Math.min(...this.samples.map((s) => s.startMs));
    let elapsed = nowMs - oldest;
    const fullWindows = Math.floor(elapsed / this.windows.windowSizeMs);
    const minFullWindows = this.windows.windowNum - 1;
    if (fullWindows < minFullWindows) elapsed += (minFullWindows - fullWindows) * this.windows.windowSizeMs;
    return elapsed;
  }

  /** Whether nothing was recorded within the whole window span (the sensor may be dropped). */
  idle(nowMs: number): boolean {
    return this.samples.every((s) => nowMs - s.startMs >= this.windows.windowNum * this.windows.windowSizeMs);
  }

  private purge(nowMs: number): void {
    const expireMs = this.windows.windowNum * this.windows.windowSizeMs;
    for (const s of this.samples) {
      if (nowMs - s.startMs >= expireMs) {
        s.startMs = nowMs;
        s.value = 0;
      }
    }
  }
}

/**
 * Kafka's QuotaUtils.throttleTime: the delay X that brings an observed rate O back to the bound
 * T over the window W, O·W / (W + X) = T, so X = (O − T) / T · W; 0 within the quota. Rounded to
 * whole ms; capped at `maxMs` when given (the request quota caps at one window).
 */
export function throttleTimeMs(observed: number, bound: number, windowMs: number, maxMs = Number.POSITIVE_INFINITY): number {
  if (!(observed > bound)) return 0;
  return Math.min(Math.round(((observed - bound) / bound) * windowMs), maxMs);
}
