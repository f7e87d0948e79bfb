/** Replication between brokers: the leader's replica service, the followers' fetchers, the manager that wires them. */
export { ReplicaManager, replicaAddressOf } from './replica-manager.js';
export type { ReplicaManagerOptions, ReplicationStats } from './replica-manager.js';
export { replicaServiceHandlers } from './replica-service.js';
export type { ReplicaServiceDeps } from './replica-service.js';
export { replicaService } from './replica-protos.js';
export { HighWatermarkCheckpoint } from './high-watermark-checkpoint.js';
export type { InterBrokerLink } from './replica-fetcher.js';
