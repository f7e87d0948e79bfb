/**
 * A promise wrapper over the `rocksdb` npm binding (abstract-leveldown API), written once.
 * Keys and values are Buffers. Calls may run concurrently; RocksDB orders them.
 *
 * The native binding crashes the process (SIGSEGV) when used after `close`, so this wrapper
 * owns the lifecycle: every call is counted while in flight, `close` stops new calls, waits for
 * the in-flight ones to finish and then closes the database once (a second close is a no-op),
 * and a call after close is refused with an ordinary Error.
 */
import { createRequire } from 'node:module';
import { InFlightGate } from './in-flight-gate.js';

interface RawIterator {
  next(cb: (err: Error | undefined, key?: Buffer, value?: Buffer) => void): void;
  end(cb: (err?: Error) => void): void;
}

interface RawDb {
  open(options: { createIfMissing: boolean }, cb: (err?: Error) => void): void;
  close(cb: (err?: Error) => void): void;
  put(key: Buffer, value: Buffer, options: { sync: boolean }, cb: (err?: Error) => void): void;
  get(key: Buffer, options: { asBuffer: true }, cb: (err: (Error & { notFound?: boolean }) | undefined, value?: Buffer) => void): void;
  batch(ops: BatchOp[], options: { sync: boolean }, cb: (err?: Error) => void): void;
  iterator(options: { gte: Buffer; lt: Buffer; keys: boolean; values: boolean; keyAsBuffer: true; valueAsBuffer: true }): RawIterator;
}

export type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

const require = createRequire(import.meta.url);
const rocksdb = require('rocksdb') as (location: string) => RawDb;
const EMPTY = Buffer.alloc(0);

function call(fn: (cb: (err?: Error) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}

export class Rocks {
  private readonly gate: InFlightGate;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly db: RawDb,
    readonly location: string,
  ) {
    this.gate = new InFlightGate(`the database at ${location} is closed`);
  }

  static async open(location: string): Promise<Rocks> {
    const db = rocksdb(location);
    await call((cb) => db.open({ createIfMissing: true }, cb));
    return new Rocks(db, location);
  }

  get(key: Buffer): Promise<Buffer | undefined> {
    return this.track(
      () =>
        new Promise((resolve, reject) =>
          this.db.get(key, { asBuffer: true }, (err, value) => {
            if (err?.notFound === true || (err && /NotFound/i.test(err.message))) resolve(undefined);
            else if (err) reject(err);
            else resolve(value);
          }),
        ),
    );
  }

  put(key: Buffer, value: Buffer, sync: boolean): Promise<void> {
    return this.track(() => call((cb) => this.db.put(key, value, { sync }, cb)));
  }

  batch(ops: BatchOp[], sync: boolean): Promise<void> {
    return this.track(() => call((cb) => this.db.batch(ops, { sync }, cb)));
  }

  /** Every entry with a key in [gte, lt), in key order; values are empty with `keysOnly`. */
  range(gte: Buffer, lt: Buffer, keysOnly = false): Promise<Array<{ key: Buffer; value: Buffer }>> {
    return this.track(async () => {
      const it = this.db.iterator({ gte, lt, keys: true, values: !keysOnly, keyAsBuffer: true, valueAsBuffer: true });
      const out: Array<{ key: Buffer; value: Buffer }> = [];
      try {
        for (;;) {
          const entry = await new Promise<{ key: Buffer; value: Buffer } | undefined>((resolve, reject) =>
            it.next((err, key, value) => (err ? reject(err) : resolve(key === undefined ? undefined : { key, value: value ?? EMPTY }))),
          );
          if (entry === undefined) break;
          out.push(entry);
        }
      } finally {
        await call((cb) => it.end(cb));
      }
      return out;
    });
  }

  /** Refuses new calls, lets in-flight ones finish, closes the database. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.gate.drain().then(() => call((cb) => this.db.close(cb)));
    return this.closing;
  }

  private track<T>(work: () => Promise<T>): Promise<T> {
    return this.gate.run(work);
  }
}
