/**
 * The acks=all workload and the history check of the replication fault tests. `AcksAllLoad`
 * runs an idempotent kafkajs producer (acks=-1) that sends numbered values to one partition as
 * fast as acknowledgements come back, re-creating the producer after an error (its sequence
 * state is spent), and remembers every acknowledged value with the offset the broker gave it.
 * `readPartition` reads a partition from its current leader up to the high watermark, and
 * `checkHistory` compares: every acknowledged value present exactly once at its acknowledged
 * offset, no offset holding two records, and every record a consumer saw still there.
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';

export interface LoggedRecord {
  offset: bigint;
  value: string;
}

export class AcksAllLoad {
  readonly acked = new Map<string, bigint>();
  readonly ackTimes: number[] = [];
  errors = 0;
  /** The last error a send or connect failed with (for a test's failure message). */
  lastError = '';
  private running = true;
  private readonly done: Promise<void>;
  private next = 0;

  constructor(
    private readonly brokers: () => string[],
    private readonly topic: string,
    private readonly prefix: string,
    private readonly batch = 5,
  ) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let producer: Producer | undefined;
      try {
        const kafka = new Kafka({ clientId: `load-${this.prefix}`, brokers: this.brokers(), logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 500 }, requestTimeout: 5000 });
        producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 500 } });
        await producer.connect();
        while (this.running) {
          const values = Array.from({ length: this.batch }, () => `${this.prefix}-${this.next++}`);
          const [result] = await producer.send({ topic: this.topic, acks: -1, timeout: 5000, messages: values.map((value) => ({ value })) });
          const base = BigInt(result!.baseOffset!);
          values.forEach((v, i) => this.acked.set(v, base + BigInt(i)));
          this.ackTimes.push(Date.now());
        }
      } catch (err) {
        this.errors += 1;
        this.lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        await producer?.disconnect().catch(() => undefined);
      }
    }
  }

  /** The first acknowledgement at or after `t` (ms since the epoch), if any. */
  firstAckAfter(t: number): number | undefined {
    return this.ackTimes.find((x) => x >= t);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

/** Every record of `topic`/`partition` below the high watermark, read through kafkajs from `brokers`. */
export async function readPartition(brokers: string[], topic: string, partition = 0): Promise<LoggedRecord[]> {
  const kafka = new Kafka({ clientId: 'history-reader', brokers, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  let high: bigint;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    high = BigInt(offsets.find((o) => o.partition === partition)!.high);
  } finally {
    await admin.disconnect();
  }
  const out: LoggedRecord[] = [];
  if (high === 0n) return out;
  const consumer = kafka.consumer({ groupId: `history-${Date.now()}-${Math.random()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let resolve!: () => void;
    const reached = new Promise<void>((r) => (resolve = r));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition: p, message }) => {
        if (p !== partition) return;
        out.push({ offset: BigInt(message.offset), value: message.value?.toString() ?? '' });
        if (BigInt(message.offset) + 1n >= high) resolve();
      },
    });
    await Promise.race([reached, new Promise((_, reject) => setTimeout(() => reject(new Error(`read ${out.length} records, not up to ${high}, within 30 s`)), 30_000))]);
  } finally {
    await consumer.disconnect();
  }
  return out;
}

export interface HistoryCheck {
  acknowledged: number;
  lost: string[];
  duplicated: string[];
  moved: string[];
  /** Records a consumer saw that the final log does not hold at that offset. */
  vanished: LoggedRecord[];
}

export function checkHistory(acked: ReadonlyMap<string, bigint>, log: readonly LoggedRecord[], seen: readonly LoggedRecord[] = []): HistoryCheck {
  const byValue = new Map<string, bigint[]>();
  const byOffset = new Map<bigint, string>();
  for (const r of log) {
    byValue.set(r.value, [...(byValue.get(r.value) ?? []), r.offset]);
    byOffset.set(r.offset, r.value);
  }
  const lost: string[] = [];
  const duplicated: string[] = [];
  const moved: string[] = [];
  for (const [value, offset] of acked) {
    const at = byValue.get(value);
    if (at === undefined) lost.push(value);
    else if (at.length > 1) duplicated.push(value);
    else if (at[0] !== offset) moved.push(value);
  }
  const vanished = seen.filter((r) => byOffset.get(r.offset) !== r.value);
  return { acknowledged: acked.size, lost, duplicated, moved, vanished };
}
