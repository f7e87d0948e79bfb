/**
 * Schemas of the admin and producer-id APIs: CreateTopics (19), DeleteTopics (20),
 * InitProducerId (22).
 */
import { a, f, message } from '../schema.js';

export const CreateTopicsRequest = message('CreateTopicsRequest', '5+', [
  a('topics', [
    f('name', 'string'),
    f('numPartitions', 'int32'),
    f('replicationFactor', 'int16'),
    a('assignments', [f('partitionIndex', 'int32'), a('brokerIds', 'int32')]),
    a('configs', [f('name', 'string'), f('value', 'string', '0+', { nullable: '0+' })]),
  ]),
  f('timeoutMs', 'int32'),
  f('validateOnly', 'bool', '1+'),
]);

export const CreateTopicsResponse = message('CreateTopicsResponse', '5+', [
  f('throttleTimeMs', 'int32', '2+'),
  a('topics', [
    f('name', 'string'),
    f('topicId', 'uuid', '7+'),
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '1+', { nullable: '1+', default: null }),
    f('topicConfigErrorCode', 'int16', '5+', { tag: 0 }),
    f('numPartitions', 'int32', '5+', { default: -1 }),
    f('replicationFactor', 'int16', '5+', { default: -1 }),
    a('configs', [f('name', 'string'), f('value', 'string', '0+', { nullable: '0+' }), f('readOnly', 'bool'), f('configSource', 'int8', '0+', { default: -1 }), f('isSensitive', 'bool')], '5+', {
      nullable: '5+',
      default: null,
    }),
  ]),
]);

export const DeleteTopicsRequest = message('DeleteTopicsRequest', '4+', [
  a('topics', [f('name', 'string', '6+', { nullable: '6+' }), f('topicId', 'uuid', '6+')], '6+'),
  a('topicNames', 'string', '0-5'),
  f('timeoutMs', 'int32'),
]);

export const DeleteTopicsResponse = message('DeleteTopicsResponse', '4+', [
  f('throttleTimeMs', 'int32', '1+'),
  a('responses', [f('name', 'string', '0+', { nullable: '6+' }), f('topicId', 'uuid', '6+'), f('errorCode', 'int16'), f('errorMessage', 'string', '5+', { nullable: '5+', default: null })]),
]);

export const InitProducerIdRequest = message('InitProducerIdRequest', '2+', [
  f('transactionalId', 'string', '0+', { nullable: '0+' }),
  f('transactionTimeoutMs', 'int32'),
  f('producerId', 'int64', '3+', { default: -1n }),
  f('producerEpoch', 'int16', '3+', { default: -1 }),
]);

export const InitProducerIdResponse = message('InitProducerIdResponse', '2+', [
  f('throttleTimeMs', 'int32'),
  f('errorCode', 'int16'),
  f('producerId', 'int64', '0+', { default: -1n }),
  f('producerEpoch', 'int16'),
]);

export const DeleteRecordsRequest = message('DeleteRecordsRequest', '2+', [
  a('topics', [f('name', 'string'), a('partitions', [f('partitionIndex', 'int32'), f('offset', 'int64')])]),
  f('timeoutMs', 'int32'),
]);

export const DeleteRecordsResponse = message('DeleteRecordsResponse', '2+', [
  f('throttleTimeMs', 'int32'),
  a('topics', [f('name', 'string'), a('partitions', [f('partitionIndex', 'int32'), f('lowWatermark', 'int64'), f('errorCode', 'int16')])]),
]);

export const OffsetForLeaderEpochRequest = message('OffsetForLeaderEpochRequest', '4+', [
  f('replicaId', 'int32', '3+', { default: -2 }),
  a('topics', [f('topic', 'string'), a('partitions', [f('partition', 'int32'), f('currentLeaderEpoch', 'int32', '2+', { default: -1 }), f('leaderEpoch', 'int32')])]),
]);

export const OffsetForLeaderEpochResponse = message('OffsetForLeaderEpochResponse', '4+', [
  f('throttleTimeMs', 'int32', '2+'),
  a('topics', [
    f('topic', 'string'),
    a('partitions', [f('errorCode', 'int16'), f('partition', 'int32'), f('leaderEpoch', 'int32', '1+', { default: -1 }), f('endOffset', 'int64', '0+', { default: -1n })]),
  ]),
]);

export const DescribeConfigsRequest = message('DescribeConfigsRequest', '4+', [
  a('resources', [f('resourceType', 'int8'), f('resourceName', 'string'), a('configurationKeys', 'string', '0+', { nullable: '0+' })]),
  f('includeSynonyms', 'bool', '1+'),
  f('includeDocumentation', 'bool', '3+'),
]);

export const DescribeConfigsResponse = message('DescribeConfigsResponse', '4+', [
  f('throttleTimeMs', 'int32'),
  a('results', [
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
    f('resourceType', 'int8'),
    f('resourceName', 'string'),
    a('configs', [
      f('name', 'string'),
      f('value', 'string', '0+', { nullable: '0+' }),
      f('readOnly', 'bool'),
      f('isDefault', 'bool', '0'),
      f('configSource', 'int8', '1+', { default: -1 }),
      f('isSensitive', 'bool'),
      a('synonyms', [f('name', 'string', '1+'), f('value', 'string', '1+', { nullable: '1+' }), f('source', 'int8', '1+')], '1+'),
      f('configType', 'int8', '3+'),
      f('documentation', 'string', '3+', { nullable: '3+', default: null }),
    ]),
  ]),
]);

export const DescribeClusterRequest = message('DescribeClusterRequest', '0+', [f('includeClusterAuthorizedOperations', 'bool'), f('endpointType', 'int8', '1+', { default: 1 })]);

export const DescribeClusterResponse = message('DescribeClusterResponse', '0+', [
  f('throttleTimeMs', 'int32'),
  f('errorCode', 'int16'),
  f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
  f('endpointType', 'int8', '1+', { default: 1 }),
  f('clusterId', 'string'),
  f('controllerId', 'int32', '0+', { default: -1 }),
  a('brokers', [f('brokerId', 'int32'), f('host', 'string'), f('port', 'int32'), f('rack', 'string', '0+', { nullable: '0+', default: null })]),
  f('clusterAuthorizedOperations', 'int32', '0+', { default: -2147483648 }),
]);
