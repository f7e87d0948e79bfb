/**
 * Producer ids in cluster mode (Kafka's ProducerIdManager after KIP-730): the controller hands
 * out blocks of never-before-used ids through the Coordination (etcd, CAS), and a broker issues
 * ids from its current block, fetching the next block when it runs out. No two brokers ever
 * give out the same id, and a restart never reuses a block (an unused rest is skipped).
 * Concurrent callers share one block request.
 */
import type { Coordination } from '../coordination/index.js';
import { BrokerError } from '../errors.js';

export const PRODUCER_ID_BLOCK_SIZE = 1000;

export class ProducerIdBlocks {
  private next = 0n;
  private end = 0n;
  private fetching: Promise<void> | undefined;

  constructor(
    private readonly coordination: Pick<Coordination, 'allocateProducerIds'>,
    private readonly blockSize = PRODUCER_ID_BLOCK_SIZE,
  ) {}

  /** The same shape as the MetaStore's allocator (only count 1 is asked by the issuer). */
  async allocateProducerIds(count: number): Promise<bigint> {
    if (count < 1 || count > this.blockSize) throw new BrokerError('INVALID_REQUEST', `cannot allocate ${count} producer ids at once`);
    while (this.end - this.next < BigInt(count)) {
      this.fetching ??= this.fetchBlock().finally(() => {
        this.fetching = undefined;
      });
      await this.fetching;
    }
    const first = this.next;
    this.next += BigInt(count);
    return first;
  }

  private async fetchBlock(): Promise<void> {
    let first: bigint;
    try {
      first = await this.coordination.allocateProducerIds(this.blockSize);
    } catch (err) {
      throw new BrokerError('COORDINATOR_NOT_AVAILABLE', `no producer-id block from the controller: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    this.next = first;
    this.end = first + BigInt(this.blockSize);
  }
}
