/**
 * The groups layer's public entry: committed offsets today; the Kafka group coordinator
 * (membership, rebalances) joins it here.
 */
export { GroupOffsets } from './group-offsets.js';
export type { OffsetCommit, PartitionLagRow } from './group-offsets.js';
