/**
 * Schemas of SaslHandshake (17), SaslAuthenticate (36), DescribeAcls (29), CreateAcls (30) and
 * DeleteAcls (31), from the Kafka protocol documentation. Field names are the spec's, in camelCase.
 */
import { a, f, message } from '../schema.js';

export const SaslHandshakeRequest = message('SaslHandshakeRequest', 'none', [f('mechanism', 'string')]);

export const SaslHandshakeResponse = message('SaslHandshakeResponse', 'none', [f('errorCode', 'int16'), a('mechanisms', 'string')]);

export const SaslAuthenticateRequest = message('SaslAuthenticateRequest', '2+', [f('authBytes', 'bytes')]);

export const SaslAuthenticateResponse = message('SaslAuthenticateResponse', '2+', [
  f('errorCode', 'int16'),
  f('errorMessage', 'string', '0+', { nullable: '0+' }),
  f('authBytes', 'bytes'),
  f('sessionLifetimeMs', 'int64', '1+', { default: 0n }),
]);

/** The ACL filter and binding fields shared by the three ACL APIs (patternType from v1). */
const resourceFilter = [
  f('resourceType', 'int8'),
  f('resourceName', 'string', '0+', { nullable: '0+' }),
  f('patternType', 'int8', '1+', { default: 3 }),
  f('principal', 'string', '0+', { nullable: '0+' }),
  f('host', 'string', '0+', { nullable: '0+' }),
  f('operation', 'int8'),
  f('permissionType', 'int8'),
];

export const DescribeAclsRequest = message('DescribeAclsRequest', '2+', resourceFilter);

export const DescribeAclsResponse = message('DescribeAclsResponse', '2+', [
  f('throttleTimeMs', 'int32'),
  f('errorCode', 'int16'),
  f('errorMessage', 'string', '0+', { nullable: '0+' }),
  a('resources', [
    f('resourceType', 'int8'),
    f('resourceName', 'string'),
    f('patternType', 'int8', '1+', { default: 3 }),
    a('acls', [f('principal', 'string'), f('host', 'string'), f('operation', 'int8'), f('permissionType', 'int8')]),
  ]),
]);

export const CreateAclsRequest = message('CreateAclsRequest', '2+', [
  a('creations', [
    f('resourceType', 'int8'),
    f('resourceName', 'string'),
    f('resourcePatternType', 'int8', '1+', { default: 3 }),
    f('principal', 'string'),
    f('host', 'string'),
    f('operation', 'int8'),
    f('permissionType', 'int8'),
  ]),
]);

export const CreateAclsResponse = message('CreateAclsResponse', '2+', [
  f('throttleTimeMs', 'int32'),
  a('results', [f('errorCode', 'int16'), f('errorMessage', 'string', '0+', { nullable: '0+' })]),
]);

export const DeleteAclsRequest = message('DeleteAclsRequest', '2+', [
  a('filters', [
    f('resourceTypeFilter', 'int8'),
    f('resourceNameFilter', 'string', '0+', { nullable: '0+' }),
    f('patternTypeFilter', 'int8', '1+', { default: 3 }),
    f('principalFilter', 'string', '0+', { nullable: '0+' }),
    f('hostFilter', 'string', '0+', { nullable: '0+' }),
    f('operation', 'int8'),
    f('permissionType', 'int8'),
  ]),
]);

export const DeleteAclsResponse = message('DeleteAclsResponse', '2+', [
  f('throttleTimeMs', 'int32'),
  a('filterResults', [
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
    a('matchingAcls', [
      f('errorCode', 'int16'),
      f('errorMessage', 'string', '0+', { nullable: '0+' }),
      f('resourceType', 'int8'),
      f('resourceName', 'string'),
      f('patternType', 'int8', '1+', { default: 3 }),
      f('principal', 'string'),
      f('host', 'string'),
      f('operation', 'int8'),
      f('permissionType', 'int8'),
    ]),
  ]),
]);
