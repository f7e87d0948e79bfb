/**
 * The one table of Kafka API handlers. It decides what the listener serves and what ApiVersions
 * advertises: exactly the APIs and versions registered here.
 */
import type { KafkaHandler } from '../handler.js';
import { alterClientQuotasHandler } from './alter-client-quotas.js';
import { alterConfigsHandler, incrementalAlterConfigsHandler } from './alter-configs.js';
import { alterUserScramCredentialsHandler } from './alter-user-scram-credentials.js';
import { apiVersionsHandler } from './api-versions.js';
import { createAclsHandler } from './create-acls.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteAclsHandler } from './delete-acls.js';
import { describeAclsHandler } from './describe-acls.js';
import { describeClientQuotasHandler } from './describe-client-quotas.js';
import { deleteGroupsHandler } from './delete-groups.js';
import { deleteRecordsHandler } from './delete-records.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeClusterHandler } from './describe-cluster.js';
import { describeUserScramCredentialsHandler } from './describe-user-scram-credentials.js';
import { describeConfigsHandler } from './describe-configs.js';
import { describeGroupsHandler } from './describe-groups.js';
import { fetchHandler } from './fetch.js';
import { findCoordinatorHandler } from './find-coordinator.js';
import { heartbeatHandler } from './heartbeat.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { joinGroupHandler } from './join-group.js';
import { leaveGroupHandler } from './leave-group.js';
import { listGroupsHandler } from './list-groups.js';
import { listOffsetsHandler } from './list-offsets.js';
import { metadataHandler } from './metadata.js';
import { offsetCommitHandler } from './offset-commit.js';
import { offsetFetchHandler } from './offset-fetch.js';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.js';
import { produceHandler } from './produce.js';
import { saslAuthenticateHandler } from './sasl-authenticate.js';
import { saslHandshakeHandler } from './sasl-handshake.js';
import { syncGroupHandler } from './sync-group.js';

const others: KafkaHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  listGroupsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  initProducerIdHandler,
  deleteRecordsHandler,
  offsetForLeaderEpochHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  incrementalAlterConfigsHandler,
  describeClusterHandler,
  deleteGroupsHandler,
  saslHandshakeHandler,
  saslAuthenticateHandler,
  describeAclsHandler,
  createAclsHandler,
  deleteAclsHandler,
  describeClientQuotasHandler,
  alterClientQuotasHandler,
  describeUserScramCredentialsHandler,
  alterUserScramCredentialsHandler,
];

const advertised = () => HANDLERS_LIST.map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })).sort((x, y) => x.apiKey - y.apiKey);

const HANDLERS_LIST: KafkaHandler[] = [...others, apiVersionsHandler(advertised)];

export const HANDLERS: ReadonlyMap<number, KafkaHandler> = new Map(HANDLERS_LIST.map((h) => [h.apiKey, h]));
