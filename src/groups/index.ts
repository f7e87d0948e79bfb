/**
 * The groups layer's public entry: committed offsets (GroupOffsets) and the group coordinator
 * (Kafka's consumer-group membership protocol plus broker-assigned SubscribeGroup streams),
 * shared by both front doors, and the internal `__consumer_offsets` topic they live in.
 */
export { GroupOffsets, MAX_OFFSET_METADATA_BYTES } from './group-offsets.js';
export type { OffsetCommit, PartitionLagRow } from './group-offsets.js';
export { GroupCoordinator } from './group-coordinator.js';
export type { CommitRequest, GroupDescription, GroupSummary, PartitionResult } from './group-coordinator.js';
export type { CoordinatorOptions, JoinGroupRequest, MemberRef, SyncGroupRequest } from './group-membership.js';
export type { StreamJoinRequest } from './stream-membership.js';
export { STREAM_ASSIGNORS } from './stream-assignor.js';
export { decodeConsumerAssignment, encodeConsumerAssignment } from './consumer-protocol.js';
export { STREAM_PROTOCOL_TYPE } from './group.js';
export type { GroupState, JoinGroupResult, StreamAssignment, SyncGroupResult, TopicPartitions } from './group.js';
export { OffsetsTopic } from './offsets-topic.js';
export type { OffsetsTopicOptions } from './offsets-topic.js';
export { OFFSETS_TOPIC, offsetsPartitionFor, javaStringHashCode } from './offsets-placement.js';
export { encodeOffsetKey, encodeOffsetValue, decodeOffsetKey, decodeOffsetValue } from './offset-record.js';
export type { OffsetKey, OffsetValue } from './offset-record.js';
export { migrateLegacyOffsets } from './legacy-offsets.js';
