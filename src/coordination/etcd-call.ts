/**
 * Small etcd plumbing shared by the coordination modules: a deadline around any etcd call that
 * turns every failure into a retriable CoordinationError UNAVAILABLE, and the conversion of
 * etcd3's key-values into the view's plain records. Stateless.
 */
import type { IKeyValue } from 'etcd3';
import { CoordinationError, isCoordinationError } from './coordination-error.js';
import type { RawKv } from './cluster-view.js';

export async function callEtcd<T>(promise: Promise<T>, what: string, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CoordinationError('UNAVAILABLE', `etcd did not answer ${what} within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    if (isCoordinationError(error)) throw error;
    throw new CoordinationError('UNAVAILABLE', `etcd ${what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

export function rawKv(kv: IKeyValue): RawKv {
  return { key: kv.key.toString(), value: kv.value.toString(), createRevision: kv.create_revision, modRevision: kv.mod_revision, lease: kv.lease };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
