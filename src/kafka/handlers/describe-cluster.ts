/**
 * DescribeCluster (60), v0–1: the cluster id, this broker as the only broker and the controller.
 */
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

export const describeClusterHandler: KafkaHandler = {
  apiKey: API_KEY.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx) {
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      endpointType: 1,
      clusterId: ctx.clusterId,
      controllerId: ctx.nodeId,
      brokers: [{ brokerId: ctx.nodeId, host: ctx.advertisedHost, port: ctx.port(), rack: null }],
    };
  },
};
