/**
 * SecurityDoc: where one security document (the SCRAM credentials, the ACLs — each one JSON value)
 * is kept. Single node: a key of the broker's metadata store (RocksDB), written synced, seen by
 * this broker only. Cluster mode: an etcd key shared by every broker (etcd-security-doc.ts),
 * written with compare-and-swap and watched, so a change made on one broker is seen by all.
 * The owner (ScramStore, Authorizer) serialises its own writes; `write` refuses (false) when
 * another broker changed the value since this one last read or saw it, and the owner then
 * re-reads and re-applies its change.
 */
import type { MetaStore } from '../../storage/index.js';

export interface SecurityDoc {
  /** The current value (undefined: none yet). */
  read(): Promise<Buffer | undefined>;
  /** Stores `value` unless another broker changed the document since it was last read, written or seen here. */
  write(value: Buffer): Promise<boolean>;
  /** Called with the new value whenever another broker changes the document (never for this broker's own writes). */
  onChange(listener: (value: Buffer | undefined) => void): void;
}

/** The single-node form: a metadata-store key; nobody else writes it. */
export function metaStoreDoc(meta: Pick<MetaStore, 'getValue' | 'putValue'>, key: string): SecurityDoc {
  return {
    read: () => meta.getValue(key),
    write: async (value) => {
      await meta.putValue(key, value);
      return true;
    },
    onChange: () => undefined,
  };
}
