/**
 * Schemas of the consumer-group APIs: FindCoordinator (10), JoinGroup (11), Heartbeat (12),
 * LeaveGroup (13), SyncGroup (14), DescribeGroups (15), ListGroups (16), OffsetCommit (8),
 * OffsetFetch (9), DeleteGroups (42).
 */
import { a, f, message } from '../schema.js';

export const FindCoordinatorRequest = message('FindCoordinatorRequest', '3+', [
  f('key', 'string', '0-3'),
  f('keyType', 'int8', '1+'),
  a('coordinatorKeys', 'string', '4+'),
]);

export const FindCoordinatorResponse = message('FindCoordinatorResponse', '3+', [
  f('throttleTimeMs', 'int32', '1+'),
  f('errorCode', 'int16', '0-3'),
  f('errorMessage', 'string', '1-3', { nullable: '1-3' }),
  f('nodeId', 'int32', '0-3'),
  f('host', 'string', '0-3'),
  f('port', 'int32', '0-3'),
  a('coordinators', [f('key', 'string'), f('nodeId', 'int32'), f('host', 'string'), f('port', 'int32'), f('errorCode', 'int16'), f('errorMessage', 'string', '0+', { nullable: '0+' })], '4+'),
]);

export const JoinGroupRequest = message('JoinGroupRequest', '6+', [
  f('groupId', 'string'),
  f('sessionTimeoutMs', 'int32'),
  f('rebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
  f('memberId', 'string'),
  f('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
  f('protocolType', 'string'),
  a('protocols', [f('name', 'string'), f('metadata', 'bytes')]),
  f('reason', 'string', '8+', { nullable: '8+', default: null }),
]);

export const JoinGroupResponse = message('JoinGroupResponse', '6+', [
  f('throttleTimeMs', 'int32', '2+'),
  f('errorCode', 'int16'),
  f('generationId', 'int32', '0+', { default: -1 }),
  f('protocolType', 'string', '7+', { nullable: '7+', default: null }),
  f('protocolName', 'string', '0+', { nullable: '7+' }),
  f('leader', 'string'),
  f('skipAssignment', 'bool', '9+'),
  f('memberId', 'string'),
  a('members', [f('memberId', 'string'), f('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }), f('metadata', 'bytes')]),
]);

export const HeartbeatRequest = message('HeartbeatRequest', '4+', [
  f('groupId', 'string'),
  f('generationId', 'int32'),
  f('memberId', 'string'),
  f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
]);

export const HeartbeatResponse = message('HeartbeatResponse', '4+', [f('throttleTimeMs', 'int32', '1+'), f('errorCode', 'int16')]);

export const LeaveGroupRequest = message('LeaveGroupRequest', '4+', [
  f('groupId', 'string'),
  f('memberId', 'string', '0-2'),
  a('members', [f('memberId', 'string'), f('groupInstanceId', 'string', '0+', { nullable: '0+', default: null }), f('reason', 'string', '5+', { nullable: '5+', default: null })], '3+'),
]);

export const LeaveGroupResponse = message('LeaveGroupResponse', '4+', [
  f('throttleTimeMs', 'int32', '1+'),
  f('errorCode', 'int16'),
  a('members', [f('memberId', 'string'), f('groupInstanceId', 'string', '0+', { nullable: '0+', default: null }), f('errorCode', 'int16')], '3+'),
]);

export const SyncGroupRequest = message('SyncGroupRequest', '4+', [
  f('groupId', 'string'),
  f('generationId', 'int32'),
  f('memberId', 'string'),
  f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
  f('protocolType', 'string', '5+', { nullable: '5+', default: null }),
  f('protocolName', 'string', '5+', { nullable: '5+', default: null }),
  a('assignments', [f('memberId', 'string'), f('assignment', 'bytes')]),
]);

export const SyncGroupResponse = message('SyncGroupResponse', '4+', [
  f('throttleTimeMs', 'int32', '1+'),
  f('errorCode', 'int16'),
  f('protocolType', 'string', '5+', { nullable: '5+', default: null }),
  f('protocolName', 'string', '5+', { nullable: '5+', default: null }),
  f('assignment', 'bytes', '0+', { default: Buffer.alloc(0) }),
]);

export const DescribeGroupsRequest = message('DescribeGroupsRequest', '5+', [a('groups', 'string'), f('includeAuthorizedOperations', 'bool', '3+')]);

export const DescribeGroupsResponse = message('DescribeGroupsResponse', '5+', [
  f('throttleTimeMs', 'int32', '1+'),
  a('groups', [
    f('errorCode', 'int16'),
    f('groupId', 'string'),
    f('groupState', 'string'),
    f('protocolType', 'string'),
    f('protocolData', 'string'),
    a('members', [
      f('memberId', 'string'),
      f('groupInstanceId', 'string', '4+', { nullable: '4+', default: null }),
      f('clientId', 'string'),
      f('clientHost', 'string'),
      f('memberMetadata', 'bytes', '0+', { default: Buffer.alloc(0) }),
      f('memberAssignment', 'bytes', '0+', { default: Buffer.alloc(0) }),
    ]),
    f('authorizedOperations', 'int32', '3+', { default: -2147483648 }),
  ]),
]);

export const ListGroupsRequest = message('ListGroupsRequest', '3+', [a('statesFilter', 'string', '4+'), a('typesFilter', 'string', '5+')]);

export const ListGroupsResponse = message('ListGroupsResponse', '3+', [
  f('throttleTimeMs', 'int32', '1+'),
  f('errorCode', 'int16'),
  a('groups', [f('groupId', 'string'), f('protocolType', 'string'), f('groupState', 'string', '4+'), f('groupType', 'string', '5+')]),
]);

export const OffsetCommitRequest = message('OffsetCommitRequest', '8+', [
  f('groupId', 'string'),
  f('generationIdOrMemberEpoch', 'int32', '1+', { default: -1 }),
  f('memberId', 'string', '1+'),
  f('groupInstanceId', 'string', '7+', { nullable: '7+', default: null }),
  f('retentionTimeMs', 'int64', '2-4', { default: -1n }),
  a('topics', [
    f('name', 'string'),
    a('partitions', [
      f('partitionIndex', 'int32'),
      f('committedOffset', 'int64'),
      f('committedLeaderEpoch', 'int32', '6+', { default: -1 }),
      f('commitTimestamp', 'int64', '1', { default: -1n }),
      f('committedMetadata', 'string', '0+', { nullable: '0+' }),
    ]),
  ]),
]);

export const OffsetCommitResponse = message('OffsetCommitResponse', '8+', [
  f('throttleTimeMs', 'int32', '3+'),
  a('topics', [f('name', 'string'), a('partitions', [f('partitionIndex', 'int32'), f('errorCode', 'int16')])]),
]);

const FetchTopics = [f('name', 'string'), a('partitionIndexes', 'int32')];
const FetchedPartitions = [
  f('partitionIndex', 'int32'),
  f('committedOffset', 'int64'),
  f('committedLeaderEpoch', 'int32', '5+', { default: -1 }),
  f('metadata', 'string', '0+', { nullable: '0+' }),
  f('errorCode', 'int16'),
];

export const OffsetFetchRequest = message('OffsetFetchRequest', '6+', [
  f('groupId', 'string', '0-7'),
  a('topics', FetchTopics, '0-7', { nullable: '2-7' }),
  a('groups', [f('groupId', 'string'), f('memberId', 'string', '9+', { nullable: '9+', default: null }), f('memberEpoch', 'int32', '9+', { default: -1 }), a('topics', FetchTopics, '8+', { nullable: '8+' })], '8+'),
  f('requireStable', 'bool', '7+'),
]);

export const OffsetFetchResponse = message('OffsetFetchResponse', '6+', [
  f('throttleTimeMs', 'int32', '3+'),
  a('topics', [f('name', 'string'), a('partitions', FetchedPartitions)], '0-7'),
  f('errorCode', 'int16', '2-7'),
  a('groups', [f('groupId', 'string'), a('topics', [f('name', 'string'), a('partitions', FetchedPartitions)]), f('errorCode', 'int16')], '8+'),
]);

export const DeleteGroupsRequest = message('DeleteGroupsRequest', '2+', [a('groupsNames', 'string')]);

export const DeleteGroupsResponse = message('DeleteGroupsResponse', '2+', [f('throttleTimeMs', 'int32'), a('results', [f('groupId', 'string'), f('errorCode', 'int16')])]);
