/**
 * The broker's metadata store over RocksDB (`<data-dir>/meta`): topics, committed group offsets,
 * producer-id allocation and small named values. Keys are `<kind>/` followed by length-prefixed
 * parts (`<bytes>:<text>`), so any topic or group name is unambiguous. Offset commits and
 * producer-id allocations are synced writes; a commit of several offsets is one atomic batch.
 * Calls may run concurrently; producer-id allocation is serialised by its own mutex.
 * Every failure surfaces as StorageError META_ERROR.
 */
import { AsyncMutex } from './async-mutex.js';
import { Rocks, type BatchOp } from './rocks.js';
import { StorageError } from './storage-error.js';
import type { CommittedOffset, MetaStore, StorageLogger, TopicRecord } from './types.js';

function part(text: string): string {
  return `${Buffer.byteLength(text)}:${text}`;
}

function key(kind: string, ...parts: string[]): Buffer {
  return Buffer.from(`${kind}/${parts.map(part).join('')}`);
}

/** [prefix, prefix + 0xff): every key that starts with `prefix`. */
function prefixRange(prefix: Buffer): [Buffer, Buffer] {
  return [prefix, Buffer.concat([prefix, Buffer.from([0xff])])];
}

/** Splits the length-prefixed parts after `<kind>/`. */
function parts(raw: Buffer): string[] {
  const out: string[] = [];
  let position = raw.indexOf(0x2f) + 1;
  while (position < raw.length) {
    const colon = raw.indexOf(0x3a, position);
    const bytes = Number(raw.subarray(position, colon).toString('latin1'));
    out.push(raw.subarray(colon + 1, colon + 1 + bytes).toString('utf8'));
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

class RocksMetaStore implements MetaStore {
  private readonly idLock = new AsyncMutex();

  constructor(private readonly db: Rocks) {}

  async putTopic(topic: TopicRecord): Promise<void> {
    await this.guard(() => this.db.put(key('topic', topic.name), Buffer.from(JSON.stringify(topic)), true));
  }

  async getTopic(name: string): Promise<TopicRecord | undefined> {
    const raw = await this.guard(() => this.db.get(key('topic', name)));
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as TopicRecord);
  }

  async listTopics(): Promise<TopicRecord[]> {
    const rows = await this.guard(() => this.db.range(...prefixRange(Buffer.from('topic/'))));
    return rows.map((r) => JSON.parse(r.value.toString('utf8')) as TopicRecord);
  }

  async deleteTopic(name: string): Promise<void> {
    await this.guard(() => this.db.batch([{ type: 'del', key: key('topic', name) }], true));
  }

  async commitOffsets(group: string, offsets: readonly CommittedOffset[]): Promise<void> {
    const ops: BatchOp[] = offsets.map((o) => {
      const stored: StoredOffset = {
        offset: o.offset.toString(),
        leaderEpoch: o.leaderEpoch,
        metadata: o.metadata,
        commitTimestampMs: o.commitTimestampMs,
      };
      return { type: 'put', key: key('offset', group, o.topic, String(o.partition)), value: Buffer.from(JSON.stringify(stored)) };
    });
    await this.guard(() => this.db.batch(ops, true));
  }

  async fetchOffsets(group: string, topic?: string): Promise<CommittedOffset[]> {
    const prefix = topic === undefined ? key('offset', group) : key('offset', group, topic);
    const rows = await this.guard(() => this.db.range(...prefixRange(prefix)));
    return rows.map((r) => {
      const [, t, p] = parts(r.key);
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
  }

  async listGroups(): Promise<string[]> {
    const rows = await this.guard(() => this.db.range(...prefixRange(Buffer.from('offset/'))));
    return [...new Set(rows.map((r) => parts(r.key)[0]!))];
  }

  async deleteGroupOffsets(group: string): Promise<void> {
    const rows = await this.guard(() => this.db.range(...prefixRange(key('offset', group))));
    await this.guard(() => this.db.batch(rows.map((r) => ({ type: 'del', key: r.key })), true));
  }

  async deleteTopicOffsets(topic: string): Promise<void> {
    const rows = await this.guard(() => this.db.range(...prefixRange(Buffer.from('offset/'))));
    const doomed = rows.filter((r) => parts(r.key)[1] === topic);
    await this.guard(() => this.db.batch(doomed.map((r) => ({ type: 'del', key: r.key })), true));
  }

  allocateProducerIds(count: number): Promise<bigint> {
    return this.idLock.run(async () => {
      const k = key('producer-id', 'next');
      const raw = await this.guard(() => this.db.get(k));
      const first = raw === undefined ? 0n : BigInt(raw.toString('utf8'));
      await this.guard(() => this.db.put(k, Buffer.from((first + BigInt(count)).toString()), true));
      return first;
    });
  }

  getValue(name: string): Promise<Buffer | undefined> {
    return this.guard(() => this.db.get(key('value', name)));
  }

  async putValue(name: string, value: Buffer): Promise<void> {
    await this.guard(() => this.db.put(key('value', name), value, true));
  }

  async close(): Promise<void> {
    await this.guard(() => this.db.close());
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw new StorageError('META_ERROR', `metadata store failed: ${(err as Error).message}`, { cause: err });
    }
  }
}

export async function openMetaStore(dir: string, options: { logger?: StorageLogger } = {}): Promise<MetaStore> {
  try {
    const db = await Rocks.open(dir);
    options.logger?.info({ dir }, 'metadata store open');
    return new RocksMetaStore(db);
  } catch (err) {
    throw new StorageError('META_ERROR', `cannot open the metadata store at ${dir}: ${(err as Error).message}`, { cause: err });
  }
}
