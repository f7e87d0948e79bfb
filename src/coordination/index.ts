/**
 * The coordination layer's public surface: the Coordination interface, its two implementations
 * and its error type. `src/` code imports only from here.
 */
export type { BrokerEndpoint, Coordination, PartitionAssignment, TopicDefinition, TopicRequest } from './coordination.js';
export { UNCLEAN_LEADER_ELECTION } from './coordination.js';
export { CoordinationError, COORDINATION_ERROR_CODES, isCoordinationError, type CoordinationErrorCode } from './coordination-error.js';
export { etcdCoordination, type EtcdCoordinationOptions } from './etcd-coordination.js';
export { singleNodeCoordination } from './single-node-coordination.js';
export { EtcdKeys, DEFAULT_ROOT } from './etcd-keys.js';
export { callEtcd } from './etcd-call.js';
export { placeReplicas, type PlacementBroker, type PlacementOptions } from './placement.js';
export { nextPartitionState, type PartitionState } from './partition-election.js';
