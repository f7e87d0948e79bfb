/**
 * EtcdSecurityDocs: cluster mode's SecurityDocs, one etcd key each (`<root>security/<name>`), on
 * an etcd client of their own (not the membership session's, so a lost lease does not lose the
 * users). Each document remembers the mod revision of the value it last read, wrote or saw; a
 * write is a transaction "mod revision still that one → put", so two brokers changing the users
 * at once never lose one another's change (the loser re-reads and re-applies). One watch per
 * document, started at the revision after the first read, reports other brokers' changes in
 * order; events not newer than the known revision (this broker's own writes) are dropped. Every
 * etcd call has a deadline; a failure is a CoordinationError UNAVAILABLE for the caller.
 */
import { Etcd3, type IKeyValue, type Watcher } from 'etcd3';
import { callEtcd, DEFAULT_ROOT, EtcdKeys } from '../coordination/index.js';
import type { Logger } from '../log.js';
import type { SecurityDoc } from './security-doc.js';

const TIMEOUT_MS = 5000;

export class EtcdSecurityDocs {
  private readonly client: Etcd3;
  private readonly keys: EtcdKeys;
  private readonly watchers: Watcher[] = [];

  constructor(
    endpoints: string[],
    private readonly logger: Logger,
    root = DEFAULT_ROOT,
  ) {
    this.client = new Etcd3({ hosts: endpoints, dialTimeout: TIMEOUT_MS, defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + TIMEOUT_MS }) });
    this.keys = new EtcdKeys(root);
  }

  doc(name: string): SecurityDoc {
    const key = this.keys.securityDoc(name);
    const client = this.client;
    let known = 0n;
    let watching = false;
    const listeners: Array<(value: Buffer | undefined) => void> = [];
    const seen = (kv: IKeyValue, deleted: boolean) => {
      const revision = BigInt(kv.mod_revision);
      if (revision <= known) return;
      known = revision;
      for (const l of listeners) l(deleted ? undefined : kv.value);
    };
    const startWatch = async (fromRevision: bigint) => {
      if (watching) return;
      watching = true;
      const watcher = await callEtcd(client.watch().key(key).startRevision(fromRevision.toString()).create(), `watch ${key}`, TIMEOUT_MS);
      watcher.on('put', (kv: IKeyValue) => seen(kv, false));
      watcher.on('delete', (kv: IKeyValue) => seen(kv, true));
      watcher.on('error', (err: unknown) => this.logger.warn({ err, key }, 'security document watch failed; etcd3 retries it'));
      this.watchers.push(watcher);
    };
    return {
      read: async () => {
        const res = await callEtcd(client.get(key).exec(), `read ${key}`, TIMEOUT_MS);
        const kv = res.kvs[0];
        known = kv === undefined ? 0n : BigInt(kv.mod_revision);
        await startWatch(BigInt(res.header.revision) + 1n);
        return kv?.value;
      },
      write: async (value) => {
        const res = await callEtcd(client.if(key, 'Mod', '==', known.toString()).then(client.put(key).value(value)).commit(), `write ${key}`, TIMEOUT_MS);
        if (res.succeeded) known = BigInt(res.header.revision);
        return res.succeeded;
      },
      onChange: (listener) => {
        listeners.push(listener);
      },
    };
  }

  async close(): Promise<void> {
    for (const w of this.watchers.splice(0)) await Promise.race([w.cancel(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]).catch(() => undefined);
    this.client.close();
  }
}
