/**
 * A promise wrapper over the `rocksdb` npm binding (abstract-leveldown API), written once.
 * Keys and values are Buffers. Calls may run concurrently; RocksDB orders them.
 */
import { createRequire } from 'node:module';

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
  iterator(options: { gte: Buffer; lt: Buffer; keyAsBuffer: true; valueAsBuffer: true }): RawIterator;
}

export type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

const require = createRequire(import.meta.url);
const rocksdb = require('rocksdb') as (location: string) => RawDb;

function call(fn: (cb: (err?: Error) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}

export class Rocks {
  private constructor(private readonly db: RawDb) {}

  static async open(location: string): Promise<Rocks> {
    const db = rocksdb(location);
    await call((cb) => db.open({ createIfMissing: true }, cb));
    return new Rocks(db);
  }

  get(key: Buffer): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) =>
      this.db.get(key, { asBuffer: true }, (err, value) => {
        if (err?.notFound === true || (err && /NotFound/i.test(err.message))) resolve(undefined);
        else if (err) reject(err);
        else resolve(value);
      }),
    );
  }

  put(key: Buffer, value: Buffer, sync: boolean): Promise<void> {
    return call((cb) => this.db.put(key, value, { sync }, cb));
  }

  batch(ops: BatchOp[], sync: boolean): Promise<void> {
    return call((cb) => this.db.batch(ops, { sync }, cb));
  }

  /** Every entry with a key in [gte, lt), in key order. */
  async range(gte: Buffer, lt: Buffer): Promise<Array<{ key: Buffer; value: Buffer }>> {
    const it = this.db.iterator({ gte, lt, keyAsBuffer: true, valueAsBuffer: true });
    const out: Array<{ key: Buffer; value: Buffer }> = [];
    try {
      for (;;) {
        const entry = await new Promise<{ key: Buffer; value: Buffer } | undefined>((resolve, reject) =>
          it.next((err, key, value) => (err ? reject(err) : resolve(key === undefined ? undefined : { key, value: value! }))),
        );
        if (entry === undefined) break;
        out.push(entry);
      }
    } finally {
      await call((cb) => it.end(cb));
    }
    return out;
  }

  close(): Promise<void> {
    return call((cb) => this.db.close(cb));
  }
}
