/**
 * Schemas of DescribeUserScramCredentials (50) and AlterUserScramCredentials (51), KIP-554, from
 * the Kafka protocol documentation: one version (0), flexible from v0. Mechanism codes are
 * Kafka's ScramMechanism types: 0 unknown, 1 SCRAM-SHA-256, 2 SCRAM-SHA-512.
 */
import { a, f, message } from '../schema.js';

export const DescribeUserScramCredentialsRequest = message('DescribeUserScramCredentialsRequest', '0+', [
  // null (or empty) describes every user with a credential
  a('users', [f('name', 'string')], '0+', { nullable: '0+' }),
]);

export const DescribeUserScramCredentialsResponse = message('DescribeUserScramCredentialsResponse', '0+', [
  f('throttleTimeMs', 'int32'),
  f('errorCode', 'int16'),
  f('errorMessage', 'string', '0+', { nullable: '0+' }),
  a('results', [
    f('user', 'string'),
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
    a('credentialInfos', [f('mechanism', 'int8'), f('iterations', 'int32')]),
  ]),
]);

export const AlterUserScramCredentialsRequest = message('AlterUserScramCredentialsRequest', '0+', [
  a('deletions', [f('name', 'string'), f('mechanism', 'int8')]),
  a('upsertions', [f('name', 'string'), f('mechanism', 'int8'), f('iterations', 'int32'), f('salt', 'bytes'), f('saltedPassword', 'bytes')]),
]);

export const AlterUserScramCredentialsResponse = message('AlterUserScramCredentialsResponse', '0+', [
  f('throttleTimeMs', 'int32'),
  a('results', [f('user', 'string'), f('errorCode', 'int16'), f('errorMessage', 'string', '0+', { nullable: '0+' })]),
]);
