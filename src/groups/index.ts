/**
 * The groups layer's public entry: committed offsets (GroupOffsets) and the Kafka consumer-group
 * membership protocol (GroupCoordinator), shared by both front doors.
 */
export { GroupOffsets } from './group-offsets.js';
export type { OffsetCommit, PartitionLagRow } from './group-offsets.js';
export { GroupCoordinator } from './group-coordinator.js';
export type { GroupDescription, JoinGroupRequest } from './group-coordinator.js';
export type { GroupState, JoinGroupResult, SyncGroupResult } from './group.js';
