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
