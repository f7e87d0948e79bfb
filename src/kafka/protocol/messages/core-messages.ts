/**
 * Schemas of ApiVersions (18), Metadata (3), Produce (0), Fetch (1) and ListOffsets (2), from
 * the Kafka protocol documentation. Field names are the spec's, in camelCase.
 */
import { a, f, message } from '../schema.js';

export const ApiVersionsRequest = message('ApiVersionsRequest', '3+', [
  f('clientSoftwareName', 'string', '3+'),
  f('clientSoftwareVersion', 'string', '3+'),
]);

export const ApiVersionsResponse = message('ApiVersionsResponse', '3+', [
  f('errorCode', 'int16'),
  a('apiKeys', [f('apiKey', 'int16'), f('minVersion', 'int16'), f('maxVersion', 'int16')]),
  f('throttleTimeMs', 'int32', '1+'),
]);

export const MetadataRequest = message('MetadataRequest', '9+', [
  a('topics', [f('topicId', 'uuid', '10+'), f('name', 'string', '0+', { nullable: '10+' })], '0+', { nullable: '1+' }),
  f('allowAutoTopicCreation', 'bool', '4+', { default: true }),
  f('includeClusterAuthorizedOperations', 'bool', '8-10'),
  f('includeTopicAuthorizedOperations', 'bool', '8+'),
]);

export const MetadataResponse = message('MetadataResponse', '9+', [
  f('throttleTimeMs', 'int32', '3+'),
  a('brokers', [f('nodeId', 'int32'), f('host', 'string'), f('port', 'int32'), f('rack', 'string', '1+', { nullable: '1+' })]),
  f('clusterId', 'string', '2+', { nullable: '2+' }),
  f('controllerId', 'int32', '1+', { default: -1 }),
  a('topics', [
    f('errorCode', 'int16'),
    f('name', 'string', '0+', { nullable: '12+' }),
    f('topicId', 'uuid', '10+'),
    f('isInternal', 'bool', '1+'),
    a('partitions', [
      f('errorCode', 'int16'),
      f('partitionIndex', 'int32'),
      f('leaderId', 'int32'),
      f('leaderEpoch', 'int32', '7+', { default: -1 }),
      a('replicaNodes', 'int32'),
      a('isrNodes', 'int32'),
      a('offlineReplicas', 'int32', '5+'),
    ]),
    f('topicAuthorizedOperations', 'int32', '8+', { default: -2147483648 }),
  ]),
  f('clusterAuthorizedOperations', 'int32', '8-10', { default: -2147483648 }),
]);

export const ProduceRequest = message('ProduceRequest', '9+', [
  f('transactionalId', 'string', '3+', { nullable: '3+' }),
  f('acks', 'int16'),
  f('timeoutMs', 'int32'),
  a('topicData', [f('name', 'string'), a('partitionData', [f('index', 'int32'), f('records', 'records', '0+', { nullable: '0+' })])]),
]);

const LeaderIdAndEpoch = [f('leaderId', 'int32', '0+', { default: -1 }), f('leaderEpoch', 'int32', '0+', { default: -1 })];
const NodeEndpoints = [f('nodeId', 'int32'), f('host', 'string'), f('port', 'int32'), f('rack', 'string', '0+', { nullable: '0+' })];

export const ProduceResponse = message('ProduceResponse', '9+', [
  a('responses', [
    f('name', 'string'),
    a('partitionResponses', [
      f('index', 'int32'),
      f('errorCode', 'int16'),
      f('baseOffset', 'int64'),
      f('logAppendTimeMs', 'int64', '2+', { default: -1n }),
      f('logStartOffset', 'int64', '5+', { default: -1n }),
      a('recordErrors', [f('batchIndex', 'int32'), f('batchIndexErrorMessage', 'string', '8+', { nullable: '8+' })], '8+'),
      f('errorMessage', 'string', '8+', { nullable: '8+' }),
      f('currentLeader', LeaderIdAndEpoch, '10+', { tag: 0 }),
    ]),
  ]),
  f('throttleTimeMs', 'int32', '1+'),
  a('nodeEndpoints', NodeEndpoints, '10+', { tag: 0 }),
]);

export const FetchRequest = message('FetchRequest', '12+', [
  f('clusterId', 'string', '12+', { nullable: '12+', tag: 0 }),
  f('replicaId', 'int32', '0-14', { default: -1 }),
  f('replicaState', [f('replicaId', 'int32', '15+', { default: -1 }), f('replicaEpoch', 'int64', '15+', { default: -1n })], '15+', { tag: 1 }),
  f('maxWaitMs', 'int32'),
  f('minBytes', 'int32'),
  f('maxBytes', 'int32', '3+', { default: 0x7fffffff }),
  f('isolationLevel', 'int8', '4+'),
  f('sessionId', 'int32', '7+'),
  f('sessionEpoch', 'int32', '7+', { default: -1 }),
  a('topics', [
    f('topic', 'string', '0-12'),
    f('topicId', 'uuid', '13+'),
    a('partitions', [
      f('partition', 'int32'),
      f('currentLeaderEpoch', 'int32', '9+', { default: -1 }),
      f('fetchOffset', 'int64'),
      f('lastFetchedEpoch', 'int32', '12+', { default: -1 }),
      f('logStartOffset', 'int64', '5+', { default: -1n }),
      f('partitionMaxBytes', 'int32'),
      f('replicaDirectoryId', 'uuid', '17+', { tag: 0 }),
    ]),
  ]),
  a('forgottenTopicsData', [f('topic', 'string', '7-12'), f('topicId', 'uuid', '13+'), a('partitions', 'int32')], '7+'),
  f('rackId', 'string', '11+'),
]);

export const FetchResponse = message('FetchResponse', '12+', [
  f('throttleTimeMs', 'int32', '1+'),
  f('errorCode', 'int16', '7+'),
  f('sessionId', 'int32', '7+'),
  a('responses', [
    f('topic', 'string', '0-12'),
    f('topicId', 'uuid', '13+'),
    a('partitions', [
      f('partitionIndex', 'int32'),
      f('errorCode', 'int16'),
      f('highWatermark', 'int64'),
      f('lastStableOffset', 'int64', '4+', { default: -1n }),
      f('logStartOffset', 'int64', '5+', { default: -1n }),
      f('divergingEpoch', [f('epoch', 'int32', '12+', { default: -1 }), f('endOffset', 'int64', '12+', { default: -1n })], '12+', { tag: 0 }),
      f('currentLeader', LeaderIdAndEpoch, '12+', { tag: 1 }),
      f('snapshotId', [f('endOffset', 'int64', '0+', { default: -1n }), f('epoch', 'int32', '0+', { default: -1 })], '12+', { tag: 2 }),
      a('abortedTransactions', [f('producerId', 'int64', '4+'), f('firstOffset', 'int64', '4+')], '4+', { nullable: '4+', default: null }),
      f('preferredReadReplica', 'int32', '11+', { default: -1 }),
      f('records', 'records', '0+', { nullable: '0+' }),
    ]),
  ]),
  a('nodeEndpoints', NodeEndpoints, '16+', { tag: 0 }),
]);

export const ListOffsetsRequest = message('ListOffsetsRequest', '6+', [
  f('replicaId', 'int32'),
  f('isolationLevel', 'int8', '2+'),
  a('topics', [
    f('name', 'string'),
    a('partitions', [f('partitionIndex', 'int32'), f('currentLeaderEpoch', 'int32', '4+', { default: -1 }), f('timestamp', 'int64'), f('maxNumOffsets', 'int32', '0', { default: 1 })]),
  ]),
  f('timeoutMs', 'int32', '10+'),
]);

export const ListOffsetsResponse = message('ListOffsetsResponse', '6+', [
  f('throttleTimeMs', 'int32', '2+'),
  a('topics', [
    f('name', 'string'),
    a('partitions', [
      f('partitionIndex', 'int32'),
      f('errorCode', 'int16'),
      a('oldStyleOffsets', 'int64', '0'),
      f('timestamp', 'int64', '1+', { default: -1n }),
      f('offset', 'int64', '1+', { default: -1n }),
      f('leaderEpoch', 'int32', '4+', { default: -1 }),
    ]),
  ]),
]);
