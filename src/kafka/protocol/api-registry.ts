/**
 * The APIs this codec knows: key, name, version range and the request/response schemas. The
 * server's handler table decides which of them are advertised (only those implemented).
 */
import * as admin from './messages/admin-messages.js';
import * as configs from './messages/config-messages.js';
import * as core from './messages/core-messages.js';
import * as groups from './messages/group-messages.js';
import * as quotas from './messages/quota-messages.js';
import * as scram from './messages/scram-messages.js';
import * as security from './messages/security-messages.js';
import { inRange, type MessageSchema } from './schema.js';

export interface ApiSpec {
  key: number;
  name: string;
  minVersion: number;
  maxVersion: number;
  request: MessageSchema;
  response: MessageSchema;
}

function api(key: number, name: string, minVersion: number, maxVersion: number, request: MessageSchema, response: MessageSchema): ApiSpec {
  return { key, name, minVersion, maxVersion, request, response };
}

export const API_KEY = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  DescribeAcls: 29,
  CreateAcls: 30,
  DeleteAcls: 31,
  DescribeConfigs: 32,
  SaslAuthenticate: 36,
  AlterConfigs: 33,
  IncrementalAlterConfigs: 44,
  DeleteGroups: 42,
  DescribeClientQuotas: 48,
  AlterClientQuotas: 49,
  DescribeUserScramCredentials: 50,
  AlterUserScramCredentials: 51,
  DescribeCluster: 60,
} as const;

export const APIS: ReadonlyMap<number, ApiSpec> = new Map(
  [
    api(API_KEY.Produce, 'Produce', 3, 11, core.ProduceRequest, core.ProduceResponse),
    api(API_KEY.Fetch, 'Fetch', 4, 17, core.FetchRequest, core.FetchResponse),
    api(API_KEY.ListOffsets, 'ListOffsets', 1, 9, core.ListOffsetsRequest, core.ListOffsetsResponse),
    api(API_KEY.Metadata, 'Metadata', 0, 12, core.MetadataRequest, core.MetadataResponse),
    api(API_KEY.OffsetCommit, 'OffsetCommit', 2, 9, groups.OffsetCommitRequest, groups.OffsetCommitResponse),
    api(API_KEY.OffsetFetch, 'OffsetFetch', 1, 9, groups.OffsetFetchRequest, groups.OffsetFetchResponse),
    api(API_KEY.FindCoordinator, 'FindCoordinator', 0, 6, groups.FindCoordinatorRequest, groups.FindCoordinatorResponse),
    api(API_KEY.JoinGroup, 'JoinGroup', 0, 9, groups.JoinGroupRequest, groups.JoinGroupResponse),
    api(API_KEY.Heartbeat, 'Heartbeat', 0, 4, groups.HeartbeatRequest, groups.HeartbeatResponse),
    api(API_KEY.LeaveGroup, 'LeaveGroup', 0, 5, groups.LeaveGroupRequest, groups.LeaveGroupResponse),
    api(API_KEY.SyncGroup, 'SyncGroup', 0, 5, groups.SyncGroupRequest, groups.SyncGroupResponse),
    api(API_KEY.DescribeGroups, 'DescribeGroups', 0, 5, groups.DescribeGroupsRequest, groups.DescribeGroupsResponse),
    api(API_KEY.ListGroups, 'ListGroups', 0, 5, groups.ListGroupsRequest, groups.ListGroupsResponse),
    api(API_KEY.ApiVersions, 'ApiVersions', 0, 4, core.ApiVersionsRequest, core.ApiVersionsResponse),
    api(API_KEY.CreateTopics, 'CreateTopics', 0, 7, admin.CreateTopicsRequest, admin.CreateTopicsResponse),
    api(API_KEY.DeleteTopics, 'DeleteTopics', 0, 6, admin.DeleteTopicsRequest, admin.DeleteTopicsResponse),
    api(API_KEY.DeleteRecords, 'DeleteRecords', 0, 2, admin.DeleteRecordsRequest, admin.DeleteRecordsResponse),
    api(API_KEY.InitProducerId, 'InitProducerId', 0, 5, admin.InitProducerIdRequest, admin.InitProducerIdResponse),
    api(API_KEY.OffsetForLeaderEpoch, 'OffsetForLeaderEpoch', 0, 4, admin.OffsetForLeaderEpochRequest, admin.OffsetForLeaderEpochResponse),
    api(API_KEY.SaslHandshake, 'SaslHandshake', 0, 1, security.SaslHandshakeRequest, security.SaslHandshakeResponse),
    api(API_KEY.SaslAuthenticate, 'SaslAuthenticate', 0, 2, security.SaslAuthenticateRequest, security.SaslAuthenticateResponse),
    api(API_KEY.DescribeAcls, 'DescribeAcls', 0, 3, security.DescribeAclsRequest, security.DescribeAclsResponse),
    api(API_KEY.CreateAcls, 'CreateAcls', 0, 3, security.CreateAclsRequest, security.CreateAclsResponse),
    api(API_KEY.DeleteAcls, 'DeleteAcls', 0, 3, security.DeleteAclsRequest, security.DeleteAclsResponse),
    api(API_KEY.DescribeConfigs, 'DescribeConfigs', 0, 4, admin.DescribeConfigsRequest, admin.DescribeConfigsResponse),
    api(API_KEY.AlterConfigs, 'AlterConfigs', 0, 2, configs.AlterConfigsRequest, configs.AlterConfigsResponse),
    api(API_KEY.IncrementalAlterConfigs, 'IncrementalAlterConfigs', 0, 1, configs.IncrementalAlterConfigsRequest, configs.IncrementalAlterConfigsResponse),
    api(API_KEY.DeleteGroups, 'DeleteGroups', 0, 2, groups.DeleteGroupsRequest, groups.DeleteGroupsResponse),
    api(API_KEY.DescribeClientQuotas, 'DescribeClientQuotas', 0, 1, quotas.DescribeClientQuotasRequest, quotas.DescribeClientQuotasResponse),
    api(API_KEY.AlterClientQuotas, 'AlterClientQuotas', 0, 1, quotas.AlterClientQuotasRequest, quotas.AlterClientQuotasResponse),
    api(API_KEY.DescribeUserScramCredentials, 'DescribeUserScramCredentials', 0, 0, scram.DescribeUserScramCredentialsRequest, scram.DescribeUserScramCredentialsResponse),
    api(API_KEY.AlterUserScramCredentials, 'AlterUserScramCredentials', 0, 0, scram.AlterUserScramCredentialsRequest, scram.AlterUserScramCredentialsResponse),
    api(API_KEY.DescribeCluster, 'DescribeCluster', 0, 1, admin.DescribeClusterRequest, admin.DescribeClusterResponse),
  ].map((s) => [s.key, s]),
);

export function isFlexible(spec: ApiSpec, version: number): boolean {
  return inRange(spec.request.flexible, version);
}
