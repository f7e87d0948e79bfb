/**
 * The leader side of replication: the ReplicaService handlers a follower's fetcher calls.
 *
 * - `Fetch` (a bidirectional stream): requests are answered strictly one after another; each
 *   reads every asked partition through `Partition.fetch` as replica `replicaId` (which records
 *   the follower's log end, may move the high watermark and propose the follower back into the
 *   ISR) and, when no partition has data, waits up to `max_wait_ms` in the purgatory on the
 *   partitions' log ends, then reads once more. A pipelined request (a partition's fetch offset
 *   CONTINUE_FETCH, with the follower's `log_end_offset`) reads from where this stream's last
 *   answer for that partition ended, and its log ends are recorded the moment it arrives —
 *   not when its turn comes — so the high watermark never waits behind a parked request.
 * - `EpochEndOffsets`: Partition.endOffsetForEpoch per partition, with the leader check.
 *
 * Callers must name a broker that is a live member of this cluster and this cluster's id;
 * anything else is PERMISSION_DENIED before any work (a client cannot pose as a replica).
 * Per-partition failures travel as error codes in the response, never as a broken stream.
 */
import * as grpc from '@grpc/grpc-js';
import type { ClusterMetadata, Partition, PartitionRegistry } from '../cluster/index.js';
import { waitForData } from '../cluster/data-waiter.js';
import { BrokerError, toBrokerError } from '../errors.js';
import type { Logger } from '../log.js';
import {
  CONTINUE_FETCH,
  type EpochEndOffsetMessage,
  type EpochEndOffsetsRequestMessage,
  type EpochEndOffsetsResponseMessage,
  type PartitionDataMessage,
  type PartitionFetchMessage,
  type ReplicaFetchRequestMessage,
  type ReplicaFetchResponseMessage,
} from './replica-protos.js';

/** One Fetch stream's memory: where its last answer for each partition ended (for CONTINUE_FETCH). */
type StreamPositions = Map<string, bigint>;

/** A request's failures found as it arrived (recording a reported log end), by partition index. */
type ArrivalErrors = Map<number, unknown>;

export interface ReplicaServiceDeps {
  registry: PartitionRegistry;
  cluster: ClusterMetadata;
  logger: Logger;
  /** Aborted when the broker stops: waiting fetches end. */
  shutdown: AbortSignal;
  /** Upper bound on a request's max_wait_ms. */
  maxWaitCapMs?: number;
}

const DEFAULT_PARTITION_MAX_BYTES = 1024 * 1024;

export function replicaServiceHandlers(deps: ReplicaServiceDeps): grpc.UntypedServiceImplementation {
  const refusal = (replicaId: number, clusterId: string): grpc.StatusObject | undefined => {
    if (clusterId !== deps.cluster.clusterId) {
      return status(grpc.status.PERMISSION_DENIED, `cluster id ${JSON.stringify(clusterId)} is not this cluster's (${deps.cluster.clusterId})`);
    }
    if (replicaId === deps.cluster.selfId || deps.cluster.broker(replicaId) === undefined) {
      return status(grpc.status.PERMISSION_DENIED, `broker ${replicaId} is not a live member of this cluster`);
    }
    return undefined;
  };

  const fetchStream = (call: grpc.ServerDuplexStream<ReplicaFetchRequestMessage, ReplicaFetchResponseMessage>) => {
    const ended = new AbortController();
    const abort = () => ended.abort();
    deps.shutdown.addEventListener('abort', abort, { once: true });
    call.on('cancelled', abort);
    let queue = Promise.resolve();
    const positions: StreamPositions = new Map();
    call.on('data', (request: ReplicaFetchRequestMessage) => {
      const refusedNow = refusal(request.replicaId, request.clusterId);
      const arrival = refusedNow === undefined ? recordLogEnds(deps, request) : undefined;
      queue = queue.then(async () => {
        if (ended.signal.aborted) return;
        const refused = refusedNow ?? refusal(request.replicaId, request.clusterId);
        if (refused !== undefined) {
          ended.abort();
          call.emit('error', refused);
          return;
        }
        try {
          call.write(await answerFetch(deps, request, ended.signal, positions, arrival));
        } catch (err) {
          deps.logger.error({ err }, 'replica fetch failed');
          ended.abort();
          call.emit('error', status(grpc.status.INTERNAL, err instanceof Error ? err.message : String(err)));
        }
      });
    });
    call.on('end', () => {
      void queue.then(() => {
        deps.shutdown.removeEventListener('abort', abort);
        if (!ended.signal.aborted) call.end();
        ended.abort();
      });
    });
  };

  const epochEndOffsets = (call: grpc.ServerUnaryCall<EpochEndOffsetsRequestMessage, EpochEndOffsetsResponseMessage>, callback: grpc.sendUnaryData<EpochEndOffsetsResponseMessage>) => {
    const request = call.request;
    const refused = refusal(request.replicaId, request.clusterId);
    if (refused !== undefined) return callback(refused);
    const partitions = request.partitions.map((q): EpochEndOffsetMessage => {
      const base = { topic: q.topic, partition: q.partition };
      try {
        const end = deps.registry.partition(q.topic, q.partition).endOffsetForEpoch(q.leaderEpoch, q.currentLeaderEpoch);
        return { ...base, errorCode: '', errorMessage: '', leaderEpoch: end.leaderEpoch, endOffset: end.endOffset.toString() };
      } catch (err) {
        const broker = toBrokerError(err);
        return { ...base, errorCode: broker.code, errorMessage: broker.message, leaderEpoch: -1, endOffset: '-1' };
      }
    });
    callback(null, { partitions });
  };

  return { Fetch: fetchStream, EpochEndOffsets: epochEndOffsets };
}

/** The log ends a pipelined request reports, recorded as it arrives; what failed, by partition index. */
function recordLogEnds(deps: ReplicaServiceDeps, request: ReplicaFetchRequestMessage): ArrivalErrors | undefined {
  let errors: ArrivalErrors | undefined;
  request.partitions.forEach((ask, i) => {
    if (ask.logEndOffset === undefined) return;
    try {
      deps.registry.partition(ask.topic, ask.partition).recordReplicaLogEnd(request.replicaId, ask.logEndOffset, ask.currentLeaderEpoch);
    } catch (err) {
      (errors ??= new Map()).set(i, err);
    }
  });
  return errors;
}

async function answerFetch(
  deps: ReplicaServiceDeps,
  request: ReplicaFetchRequestMessage,
  signal: AbortSignal,
  positions: StreamPositions,
  arrival: ArrivalErrors | undefined,
): Promise<ReplicaFetchResponseMessage> {
  // Where each partition is read from, fixed once: a parked request reads the same place again.
  const offsets = request.partitions.map((ask) => (ask.fetchOffset === CONTINUE_FETCH ? positions.get(positionKey(ask)) : ask.fetchOffset));
  const first = await readAll(deps, request, offsets, positions, arrival);
  const quiet = first.every((p) => p.data.errorCode === '' && p.data.records.length === 0);
  const maxWaitMs = Math.min(request.maxWaitMs, deps.maxWaitCapMs ?? 10_000);
  if (!quiet || maxWaitMs <= 0) return { partitions: first.map((p) => p.data) };
  const waits = first.flatMap((p, i) => (p.partition === undefined ? [] : [{ log: p.partition.endSource, offset: offsets[i]! }]));
  if (!(await waitForData(waits, maxWaitMs, signal))) return { partitions: first.map((p) => p.data) };
  return { partitions: (await readAll(deps, request, offsets, positions, arrival)).map((p) => p.data) };
}

const positionKey = (ask: PartitionFetchMessage) => `${ask.topic}/${ask.partition}`;

async function readAll(
  deps: ReplicaServiceDeps,
  request: ReplicaFetchRequestMessage,
  offsets: ReadonlyArray<bigint | undefined>,
  positions: StreamPositions,
  arrival: ArrivalErrors | undefined,
): Promise<Array<{ ask: PartitionFetchMessage; partition: Partition | undefined; data: PartitionDataMessage }>> {
  let budget = request.maxBytes > 0 ? request.maxBytes : Number.MAX_SAFE_INTEGER;
  const out: Array<{ ask: PartitionFetchMessage; partition: Partition | undefined; data: PartitionDataMessage }> = [];
  for (const [i, ask] of request.partitions.entries()) {
    const base = { topic: ask.topic, partition: ask.partition };
    let partition: Partition | undefined;
    try {
      partition = deps.registry.partition(ask.topic, ask.partition);
      if (arrival?.has(i) === true) throw arrival.get(i);
      const offset = offsets[i];
      if (offset === undefined) throw new BrokerError('INVALID_REQUEST', `no earlier answer for ${ask.topic}/${ask.partition} on this stream to go on from`);
      const maxBytes = Math.max(0, Math.min(ask.partitionMaxBytes > 0 ? ask.partitionMaxBytes : DEFAULT_PARTITION_MAX_BYTES, budget));
      const read = await partition.fetch(offset, { maxBytes, replicaId: request.replicaId, currentLeaderEpoch: ask.currentLeaderEpoch, logEndRecorded: ask.logEndOffset !== undefined });
      positions.set(positionKey(ask), read.nextOffset);
      budget -= read.records.length;
      out.push({
        ask,
        partition,
        data: { ...base, errorCode: '', errorMessage: '', highWatermark: read.highWatermark, logStartOffset: read.logStartOffset, logEndOffset: read.logEndOffset, records: read.records },
      });
    } catch (err) {
      positions.delete(positionKey(ask));
      const broker = toBrokerError(err);
      const known = partition !== undefined && partition.offlineError === null;
      out.push({
        ask,
        partition: undefined,
        data: {
          ...base,
          errorCode: broker.code,
          errorMessage: broker.message,
          highWatermark: -1n,
          logStartOffset: known ? partition!.logStartOffset : -1n,
          logEndOffset: known ? partition!.logEndOffset : -1n,
          records: Buffer.alloc(0),
        },
      });
    }
  }
  return out;
}

function status(code: grpc.status, details: string): grpc.StatusObject {
  return { code, details, metadata: new grpc.Metadata() };
}
