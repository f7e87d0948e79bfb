/**
 * DescribeCluster (60), v0–1: the cluster id, the brokers and the controller (ClusterMetadata).
 */
import { kafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowed, clusterCheck } from '../access.js';
import { kafkaEndpoint } from '../advertised-endpoint.js';

export const describeClusterHandler: KafkaHandler = {
  apiKey: API_KEY.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  access: () => [clusterCheck('Describe')],
  async handle(ctx, _body, _header, conn) {
    if (!allowed(conn, 'Cluster', 'kafka-cluster', 'Describe')) {
      return { throttleTimeMs: 0, errorCode: kafkaError('CLUSTER_AUTHORIZATION_FAILED'), errorMessage: null, endpointType: 1, clusterId: '', controllerId: -1, brokers: [] };
    }
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      endpointType: 1,
      clusterId: ctx.clusterId,
      controllerId: ctx.cluster.controllerId(),
      brokers: ctx.cluster.brokers().map((b) => ({ brokerId: b.nodeId, ...kafkaEndpoint(ctx, conn, b), rack: b.rack })),
    };
  },
};
