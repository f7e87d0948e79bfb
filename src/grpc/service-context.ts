/**
 * What every gRPC service needs, and the wrapper that turns an async handler into a grpc-js unary
 * handler: errors become gRPC statuses (status-map.ts), every call is counted and timed.
 */
import type * as grpc from '@grpc/grpc-js';
import type { ClusterMetadata, PartitionRegistry } from '../cluster/index.js';
import { BrokerError } from '../errors.js';
import type { GroupCoordinator, GroupOffsets } from '../groups/index.js';
import type { BrokerMetrics } from '../http/metrics.js';
import type { Logger } from '../log.js';
import { grpcStatusName, toServiceError } from './status-map.js';


export interface ServiceContext {
  registry: PartitionRegistry;
  groups: GroupOffsets;
  /** Membership checks for commits, live group state, SubscribeGroup streams. */
  coordinator: GroupCoordinator;
  metrics: BrokerMetrics;
  logger: Logger;
  nodeId: number;
  /** Aborted when the broker stops: long polls and subscriptions end. */
  shutdown: AbortSignal;
  /** The cluster's id, brokers, controller and partition leaders (ClusterMetadata). */
  cluster: ClusterMetadata;
}

export function unary<Req, Res>(
  ctx: ServiceContext,
  api: string,
  handler: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const started = process.hrtime.bigint();
    handler(call.request, call).then(
      (response) => {
        ctx.metrics.request(api, 'OK', seconds(started));
        callback(null, response);
      },
      (err: unknown) => {
        const status = toServiceError(err, {}, ctx.cluster);
        ctx.metrics.request(api, grpcStatusName(status.code), seconds(started));
        if (status.code === 13) ctx.logger.error({ err, api }, 'internal error');
        callback(status);
      },
    );
  };
}

export function seconds(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** int64 fields arrive as decimal strings; anything else is a bad request. */
export function parseOffset(value: string | undefined, field: string): bigint {
  if (value === undefined || !/^-?\d+$/.test(value)) throw new BrokerError('INVALID_REQUEST', `${field} must be an integer`);
  return BigInt(value);
}
