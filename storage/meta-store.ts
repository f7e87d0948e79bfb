/**
 * The broker's metadata store over RocksDB (`<data-dir>/meta`): topics, committed group offsets,
 * producer-id allocation and small named values.
 *
 * Keys are `<kind>/` followed by length-prefixed parts, `<utf8 byte count>:<text>` each, so any
 * topic or group name (with '/', ':', digits, unicode) is unambiguous and a prefix of parts
 * selects exactly one group (or group + topic):
 *   topic/<name>                      → TopicRecord JSON
 *   offset/<group><topic><partition>  → {offset: decimal string, leaderEpoch, metadata, commitTimestampMs}
 *   producer-id/<"next">              → the next unallocated producer id, decimal
 *   value/<name>                      → raw bytes
 * Every write is synced (`sync: true`); a commit of several offsets is one atomic write batch.
 *
 * Concurrency: calls may run concurrently (RocksDB orders them); producer-id allocation is a
 * read-modify-write serialised by its own mutex, and one process holds the database (RocksDB's
 * LOCK file). `close` waits for the calls in flight (multi-step ones included) and refuses later
 * ones. Every failure surfaces as StorageError META_ERROR with the cause.
 */
import { AsyncMutex } from './async-mutex.js';
import { InFlightGate } from './in-flight-gate.js';
import { Rocks, type BatchOp } from './rocks.js';
import { StorageError } from './storage-error.js';
import type { CommittedOffset, MetaStore, StorageLogger, TopicRecord } from './types.js';

function part(text: string): string {
  return `${Buffer.byteLength(text, 'utf8')}:${text}`;
}

/** The key of `kind` and `parts`; with fewer parts, the prefix of every key under them. */
export function metaKey(kind: string, ...parts: string[]): Buffer {
  return Buffer.from(`${kind}/${parts.map(part).join('')}`, 'utf8');
}

/** [prefix, prefix + 0xff): every key that starts with `prefix` (0xff never occurs in UTF-8). */
function prefixRange(prefix: Buffer): [Buffer, Buffer] {
  return [prefix, Buffer.concat([prefix, Buffer.from([0xff])])];
}

/** Splits the length-prefixed parts after `<kind>/`. */
export function metaKeyParts(raw: Buffer): string[] {
  const out: string[] = [];
  let position = raw.indexOf(0x2f) + 1;
  while (position > 0 && position < raw.length) {
    const colon = raw.indexOf(0x3a, position);
    const bytes = colon < 0 ? NaN : Number(raw.toString('latin1', position, colon));
    if (!Number.isSafeInteger(bytes) || bytes < 0 || colon + 1 + bytes > raw.length) {
      throw new Error(`malformed metadata key ${JSON.stringify(raw.toString('utf8'))}`);
    }
    out.push(raw.toString('utf8', colon + 1, colon + 1 + bytes));
    position = colon + 1 + bytes;
  }
  return out;
}

interface StoredOffset {
  offset: string;
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
}

const NEXT_PRODUCER_ID = metaKey('producer-id', 'next');

class RocksMetaStore implements MetaStore {
  private readonly idLock = new AsyncMutex();
  private readonly gate: InFlightGate;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly db: Rocks,
    private readonly dir: string,
  ) {
    this.gate = new InFlightGate('the store is closed');
  }

  putTopic(topic: TopicRecord): Promise<void> {
    return this.guard('putTopic', () => this.db.put(metaKey('topic', topic.name), Buffer.from(JSON.stringify(topic)), true));
  }

  getTopic(name: string): Promise<TopicRecord | undefined> {
    return this.guard('getTopic', async () => {
      const raw = await this.db.get(metaKey('topic', name));
      return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as TopicRecord);
    });
  }

  listTopics(): Promise<TopicRecord[]> {
    return this.guard('listTopics', async () => {
      const rows = await this.db.range(...prefixRange(metaKey('topic')));
      return rows.map((r) => JSON.parse(r.value.toString('utf8')) as TopicRecord);
    });
  }

  deleteTopic(name: string): Promise<void> {
    return this.guard('deleteTopic', () => this.db.batch([{ type: 'del', key: metaKey('topic', name) }], true));
  }

  commitOffsets(group: string, offsets: readonly CommittedOffset[]): Promise<void> {
    return this.guard('commitOffsets', () => {
      const ops: BatchOp[] = offsets.map((o) => {
        const stored: StoredOffset = {
          offset: o.offset.toString(),
          leaderEpoch: o.leaderEpoch,
          metadata: o.metadata,
          commitTimestampMs: o.commitTimestampMs,
        };
        return { type: 'put', key: metaKey('offset', group, o.topic, String(o.partition)), value: Buffer.from(JSON.stringify(stored)) };
      });
      return ops.length === 0 ? Promise.resolve() : this.db.batch(ops, true);
    });
  }

  fetchOffsets(group: string, topic?: string): Promise<CommittedOffset[]> {
    return this.guard('fetchOffsets', async () => {
      const prefix = topic === undefined ? metaKey('offset', group) : metaKey('offset', group, topic);
      const rows = await this.db.range(...prefixRange(prefix));
      const out = rows.map((r): CommittedOffset => {
        const [, t, p] = metaKeyParts(r.key);
        const stored = JSON.parse(r.value.toString('utf8')) as StoredOffset;
        return {
          topic: t!,
          partition: Number(p),
          offset: BigInt(stored.offset),
          leaderEpoch: stored.leaderEpoch,
          metadata: stored.metadata,
          commitTimestampMs: stored.commitTimestampMs,
        };
      });
      return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    });
  }

  listGroups(): Promise<string[]> {
    return this.guard('listGroups', async () => {
      const rows = await this.db.range(...prefixRange(metaKey('offset')), true);
      return [...new Set(rows.map((r) => metaKeyParts(r.key)[0]!))];
    });
  }

  deleteGroupOffsets(group: string): Promise<void> {
    return this.guard('deleteGroupOffsets', async () => {
      const rows = await this.db.range(...prefixRange(metaKey('offset', group)), true);
      if (rows.length > 0) await this.db.batch(rows.map((r) => ({ type: 'del', key: r.key })), true);
    });
  }

  deleteTopicOffsets(topic: string): Promise<void> {
    return this.guard('deleteTopicOffsets', async () => {
      const rows = await this.db.range(...prefixRange(metaKey('offset')), true);
      const doomed = rows.filter((r) => metaKeyParts(r.key)[1] === topic);
      if (doomed.length > 0) await this.db.batch(doomed.map((r) => ({ type: 'del', key: r.key })), true);
    });
  }

  allocateProducerIds(count: number): Promise<bigint> {
    if (!Number.isSafeInteger(count) || count < 1) {
      return Promise.reject(new StorageError('INVALID_ARGUMENT', `cannot allocate ${count} producer ids`));
    }
    return this.guard('allocateProducerIds', () =>
      this.idLock.run(async () => {
        const raw = await this.db.get(NEXT_PRODUCER_ID);
        const first = raw === undefined ? 0n : BigInt(raw.toString('utf8'));
        await this.db.put(NEXT_PRODUCER_ID, Buffer.from((first + BigInt(count)).toString()), true);
        return first;
      }),
    );
  }

  getValue(name: string): Promise<Buffer | undefined> {
    return this.guard('getValue', () => this.db.get(metaKey('value', name)));
  }

  putValue(name: string, value: Buffer): Promise<void> {
    return this.guard('putValue', () => this.db.put(metaKey('value', name), value, true));
  }

  /** Lets calls in flight finish, then closes the database; later calls fail. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.gate.drain().then(
      () => this.db.close(),
      () => this.db.close(),
    );
    return this.closing.catch((err: unknown) => {
      throw new StorageError('META_ERROR', `metadata store ${this.dir}: close failed: ${(err as Error).message}`, { cause: err });
    });
  }

  private async guard<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await this.gate.run(work);
    } catch (err) {
      throw new StorageError('META_ERROR', `metadata store ${this.dir}: ${what} failed: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** Opens (creating if missing) the metadata store in `dir`. */
export async function openMetaStore(dir: string, options: { logger?: StorageLogger } = {}): Promise<MetaStore> {
  try {
    const db = await Rocks.open(dir);
    options.logger?.info({ dir }, 'metadata store open');
    return new RocksMetaStore(db, dir);
  } catch (err) {
    throw new StorageError('META_ERROR', `cannot open the metadata store at ${dir}: ${(err as Error).message}`, { cause: err });
  }
}
