/**
 * Schemas of the config-changing admin APIs, written from the Kafka protocol docs:
 * AlterConfigs (33) v0–2, flexible from v2; IncrementalAlterConfigs (44) v0–1, flexible from v1.
 */
import { a, f, message } from '../schema.js';

export const AlterConfigsRequest = message('AlterConfigsRequest', '2+', [
  a('resources', [f('resourceType', 'int8'), f('resourceName', 'string'), a('configs', [f('name', 'string'), f('value', 'string', '0+', { nullable: '0+' })])]),
  f('validateOnly', 'bool'),
]);

const alterResponses = [
  f('throttleTimeMs', 'int32'),
  a('responses', [
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
    f('resourceType', 'int8'),
    f('resourceName', 'string'),
  ]),
];

export const AlterConfigsResponse = message('AlterConfigsResponse', '2+', alterResponses);

export const IncrementalAlterConfigsRequest = message('IncrementalAlterConfigsRequest', '1+', [
  a('resources', [
    f('resourceType', 'int8'),
    f('resourceName', 'string'),
    a('configs', [f('name', 'string'), f('configOperation', 'int8'), f('value', 'string', '0+', { nullable: '0+' })]),
  ]),
  f('validateOnly', 'bool'),
]);

export const IncrementalAlterConfigsResponse = message('IncrementalAlterConfigsResponse', '1+', alterResponses);
