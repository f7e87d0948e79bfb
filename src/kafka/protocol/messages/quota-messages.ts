/**
 * Schemas of DescribeClientQuotas (48) and AlterClientQuotas (49), v0–1 (flexible from v1), from
 * the Kafka protocol documentation (KIP-546). Field names are the spec's, in camelCase.
 */
import { a, f, message } from '../schema.js';

const entity = [f('entityType', 'string'), f('entityName', 'string', '0+', { nullable: '0+' })];

export const DescribeClientQuotasRequest = message('DescribeClientQuotasRequest', '1+', [
  a('components', [f('entityType', 'string'), f('matchType', 'int8'), f('match', 'string', '0+', { nullable: '0+' })]),
  f('strict', 'bool'),
]);

export const DescribeClientQuotasResponse = message('DescribeClientQuotasResponse', '1+', [
  f('throttleTimeMs', 'int32'),
  f('errorCode', 'int16'),
  f('errorMessage', 'string', '0+', { nullable: '0+' }),
  a('entries', [a('entity', entity), a('values', [f('key', 'string'), f('value', 'float64')])], '0+', { nullable: '0+' }),
]);

export const AlterClientQuotasRequest = message('AlterClientQuotasRequest', '1+', [
  a('entries', [a('entity', entity), a('ops', [f('key', 'string'), f('value', 'float64'), f('remove', 'bool')])]),
  f('validateOnly', 'bool'),
]);

export const AlterClientQuotasResponse = message('AlterClientQuotasResponse', '1+', [
  f('throttleTimeMs', 'int32'),
  a('entries', [f('errorCode', 'int16'), f('errorMessage', 'string', '0+', { nullable: '0+' }), a('entity', entity)]),
]);
