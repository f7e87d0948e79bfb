/**
 * The cluster layer's public entry: what both front doors (gRPC, Kafka) call.
 */
export { PartitionRegistry } from './partition-registry.js';
export type { OffsetSpec, ProduceOptions, RegistryOptions, Topic, TopicAdmin } from './partition-registry.js';
export type { DataWait, HighWatermarkSource } from './data-waiter.js';
export { Partition } from './partition.js';
export { singleNodeMetadata } from './cluster-metadata.js';
export type { BrokerNode, ClusterMetadata } from './cluster-metadata.js';
export type { PartitionRole, PartitionState, AppendOptions, FetchOptions } from './partition.js';
export { murmur2, partitionForKey } from './murmur2.js';
export { validateTopicName, validateTopicConfigs, isInternalTopicName, TOPIC_CONFIG_NAMES } from './topic-rules.js';
export { describeTopicConfigs, checkTopicConfig, TOPIC_CONFIGS } from './topic-configs.js';
export type { ConfigSource, TopicConfigEntry } from './topic-configs.js';
export { ClusterSync, coordinatedMetadata } from './coordinated-cluster.js';
export { ProducerIdBlocks } from './producer-id-blocks.js';
