/**
 * The package entry `rill/client`: the typed gRPC client of a Rill broker and its types. Loads
 * no broker code (no storage, no RocksDB): only grpc-js and the .proto files.
 */
export { RillClient } from './rill-client.js';
export { RillClientError, LEADER_METADATA_KEY, COORDINATOR_METADATA_KEY } from './rill-client-error.js';
export { GroupStream } from './group-stream.js';
export { ProduceStream } from './produce-stream.js';
export { Subscription } from './subscription.js';
export { encodeBatch, decodeBatches, batchesEnd } from './batches.js';
export type { BatchCompression } from './batches.js';
export type * from './types.js';
