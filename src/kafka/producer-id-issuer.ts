/**
 * ProducerIdIssuer: hands out producer ids to non-transactional idempotent producers and bumps
 * their epochs (KIP-360) — but only for the client the id was given to. It remembers, for the
 * ids it issued (bounded, oldest forgotten first), the current epoch and the client that holds
 * it (client id and host). A bump request naming an id it remembers must come from that client
 * with the current epoch, or it is refused with INVALID_PRODUCER_ID_MAPPING and changes
 * nothing, so no client can fence another's producer. A bump naming an id it does not remember
 * (issued before a restart, or forgotten) gets a fresh id, which is what Kafka's coordinator
 * does for every non-transactional InitProducerId, and fences nobody. An epoch that would be
 * exhausted also gets a fresh id. Ids come from the metadata store (persisted, never reused).
 * Concurrency: calls may overlap; each decision is taken synchronously before any await.
 */
import type { MetaStore } from '../../storage/index.js';

export const MAX_PRODUCER_EPOCH = 32767;
const DEFAULT_REMEMBERED = 100_000;

export interface ProducerIdentity {
  clientId: string | null;
  host: string;
}

export type InitResult = { producerId: bigint; producerEpoch: number } | { refused: string };

interface Holder {
  epoch: number;
  clientId: string | null;
  host: string;
}

export class ProducerIdIssuer {
  private readonly issued = new Map<bigint, Holder>();

  constructor(
    private readonly meta: Pick<MetaStore, 'allocateProducerIds'>,
    private readonly remembered = DEFAULT_REMEMBERED,
  ) {}

  /** A new id at epoch 0, or (when `current` is given) the next epoch of the caller's own id. */
  async init(who: ProducerIdentity, current?: { producerId: bigint; producerEpoch: number }): Promise<InitResult> {
    if (current !== undefined) {
      const holder = this.issued.get(current.producerId);
      if (holder !== undefined) {
        if (holder.clientId !== who.clientId || holder.host !== who.host) {
          return { refused: `producer id ${current.producerId} was not given to this client` };
        }
        if (holder.epoch !== current.producerEpoch) {
          return { refused: `producer id ${current.producerId} is at epoch ${holder.epoch}, not ${current.producerEpoch}` };
        }
        if (holder.epoch + 1 < MAX_PRODUCER_EPOCH) {
          holder.epoch += 1;
          return { producerId: current.producerId, producerEpoch: holder.epoch };
        }
        this.issued.delete(current.producerId);
      }
    }
    const producerId = await this.meta.allocateProducerIds(1);
    this.issued.set(producerId, { epoch: 0, clientId: who.clientId, host: who.host });
    if (this.issued.size > this.remembered) this.issued.delete(this.issued.keys().next().value!);
    return { producerId, producerEpoch: 0 };
  }
}
