/**
 * ConsumeService.Subscribe: one read loop per partition over one server stream. The stream
 * first fixes every start position and says so (`started`, after the response headers); then
 * each loop reads what is there, sends it with the partition's high watermark, says
 * `caught_up` the first time it has delivered everything below the high watermark, and waits on
 * the fetch purgatory (high-watermark events, no polling). Writes respect the stream's
 * backpressure. The stream ends when the client cancels or the broker stops, and with the
 * partition's error status when a partition is (or goes) offline.
 *
 * The loops of one stream share the call; each write is one whole message, so messages of
 * different partitions interleave but never mix. A stream counts as one request in the metrics
 * (ConsumeService.Subscribe) when it ends, with its final status. With `batches`, record
 * messages carry the stored batches verbatim (whole batches, the first possibly starting before
 * the start offset) instead of per-record messages. Per-record messages of uncompressed batches
 * are encoded straight from the batch bytes (record-encoder.ts).
 */
import { Metadata, type ServerWritableStream } from '@grpc/grpc-js';
import type { Partition } from '../cluster/index.js';
import { BrokerError } from '../errors.js';
import type { StartFromName, SubscribeRequestMsg } from './messages.js';
import { encodeConsumedRecords, finishMessage } from './record-encoder.js';
import { toConsumedRecords, wholeBatches } from './record-view.js';
import { checkEnum, checkNonNegative, checkOffset, checkPartition, checkTopicName } from './request-checks.js';
import { seconds, type ServiceContext } from './service-context.js';
import { grpcStatusName, toServiceError } from './status-map.js';

const DEFAULT_MAX_BYTES = 1024 * 1024;
const IDLE_WAIT_MS = 30_000;
const START_FROM: readonly StartFromName[] = ['START_FROM_UNSPECIFIED', 'EARLIEST', 'LATEST', 'OFFSET', 'TIMESTAMP', 'COMMITTED'];
const RESET_TO: readonly StartFromName[] = ['START_FROM_UNSPECIFIED', 'EARLIEST', 'LATEST'];

type Call = ServerWritableStream<SubscribeRequestMsg, unknown>;

interface Start {
  partition: number;
  log: Partition;
  offset: bigint;
}

export async function subscribe(ctx: ServiceContext, call: Call): Promise<void> {
  const began = process.hrtime.bigint();
  let outcome = 'OK';
  const abort = new AbortController();
  const onShutdown = () => abort.abort();
  ctx.shutdown.addEventListener('abort', onShutdown, { once: true });
  call.on('cancelled', () => abort.abort());
  try {
    const req = call.request;
    const topicName = checkTopicName(req.topic);
    checkEnum(req.start, 'start', START_FROM);
    checkEnum(req.reset, 'reset', RESET_TO);
    checkNonNegative(req.maxBytes, 'max_bytes');
    const requested = req.partitions.map((p) => checkPartition(p, 'partitions'));
    if (new Set(requested).size !== requested.length) throw new BrokerError('INVALID_REQUEST', `partitions lists a partition twice: ${requested.join(', ')}`);
    const topic = ctx.registry.getTopic(topicName);
    const partitions = requested.length > 0 ? requested : topic.partitions.map((_, p) => p);
    const starts: Start[] = await Promise.all(
      partitions.map(async (partition) => {
        const log = ctx.registry.partition(topicName, partition);
        log.checkLeader();
        return { partition, log, offset: await startOffset(ctx, req, topicName, partition, log) };
      }),
    );
    const maxBytes = req.maxBytes > 0 ? req.maxBytes : DEFAULT_MAX_BYTES;
    // Response headers, then `started`: the start positions are fixed, later records will come.
    call.sendMetadata(new Metadata());
    const positions = starts.map((s) => ({
      partition: s.partition,
      offset: s.offset.toString(),
      highWatermark: s.log.highWatermark.toString(),
      logStartOffset: s.log.logStartOffset.toString(),
    }));
    if (!(await send(call, { records: [], partition: 0, highWatermark: '0', started: { positions } }, abort.signal))) return;
    const asBatches = req.batches === true;
    await Promise.all(starts.map((s) => follow(ctx, call, s, topicName, maxBytes, asBatches, abort.signal)));
    if (!call.cancelled) call.end();
  } catch (err) {
    // grpc-js ends a server stream with a status when the stream emits 'error'.
    if (!call.cancelled && !abort.signal.aborted) {
      const status = toServiceError(err, {}, ctx.cluster);
      outcome = grpcStatusName(status.code);
      if (status.code === 13) ctx.logger.error({ err }, 'subscribe failed');
      call.emit('error', status);
    } else if (!call.cancelled) call.end();
  } finally {
    ctx.metrics.request('ConsumeService.Subscribe', outcome, seconds(began));
    abort.abort();
    ctx.shutdown.removeEventListener('abort', onShutdown);
  }
}

async function follow(ctx: ServiceContext, call: Call, start: Start, topic: string, maxBytes: number, asBatches: boolean, signal: AbortSignal): Promise<void> {
  const { log, partition } = start;
  let offset = start.offset;
  let caughtUp = false;
  const sayCaughtUp = async (highWatermark: bigint): Promise<boolean> => {
    caughtUp = true;
    return send(call, { records: [], partition, highWatermark: highWatermark.toString(), caughtUp: { partition, nextOffset: offset.toString() } }, signal);
  };
  while (!signal.aborted) {
    const result = await log.fetch(offset, { maxBytes });
    if (result.records.length === 0) {
      if (!caughtUp && !(await sayCaughtUp(result.highWatermark))) return;
      await ctx.registry.waitForData([{ log, offset }], IDLE_WAIT_MS, signal);
      continue;
    }
    if (asBatches) {
      const batches = wholeBatches(result.records);
      offset = result.nextOffset;
      if (batches.records > 0) {
        ctx.metrics.consumed(topic, batches.bytes.length, batches.records);
        if (!(await send(call, { records: [], batches: batches.bytes, partition, highWatermark: result.highWatermark.toString() }, signal))) return;
      }
      if (!caughtUp && offset >= result.highWatermark && !(await sayCaughtUp(result.highWatermark))) return;
      continue;
    }
    const encoded = encodeConsumedRecords(result.records, partition, offset);
    if (encoded !== undefined) {
      offset = result.nextOffset;
      if (encoded.count > 0) {
        ctx.metrics.consumed(topic, result.records.length, encoded.count);
        if (!(await send(call, finishMessage(encoded.writer, [[2, partition], [3, result.highWatermark]]), signal))) return;
      }
    } else {
      const records = await toConsumedRecords(result.records, partition, offset);
      offset = result.nextOffset;
      if (records.length > 0) {
        ctx.metrics.consumed(topic, result.records.length, records.length);
        if (!(await send(call, { records, partition, highWatermark: result.highWatermark.toString() }, signal))) return;
      }
    }
    if (!caughtUp && offset >= result.highWatermark && !(await sayCaughtUp(result.highWatermark))) return;
  }
}

/** Writes one message, waiting for the stream to drain; false once the stream is over. */
async function send(call: Call, message: object, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted || call.cancelled) return false;
  if (!call.write(message)) await drained(call, signal);
  return !signal.aborted;
}

function drained(call: Call, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.on('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

async function startOffset(ctx: ServiceContext, req: SubscribeRequestMsg, topic: string, partition: number, log: Partition): Promise<bigint> {
  switch (req.start) {
    case 'EARLIEST':
      return log.logStartOffset;
    case 'OFFSET': {
      const offset = checkOffset(req.offset, 'offset');
      if (offset < log.logStartOffset || offset > log.logEndOffset) {
        throw new BrokerError('OFFSET_OUT_OF_RANGE', `offset ${offset} of ${topic}/${partition} is outside [${log.logStartOffset}, ${log.logEndOffset}]`);
      }
      return offset;
    }
    case 'TIMESTAMP': {
      const found = await ctx.registry.listOffset(topic, partition, { timestampMs: checkOffset(req.timestampMs, 'timestamp_ms') });
      return found === -1n ? log.highWatermark : found;
    }
    case 'COMMITTED': {
      if (req.group.length === 0) throw new BrokerError('INVALID_GROUP_ID', 'start COMMITTED needs a group');
      const committed = await ctx.groups.committed(req.group, topic, partition);
      const reset = req.reset === 'EARLIEST' ? log.logStartOffset : log.highWatermark;
      return committed === undefined || committed < log.logStartOffset || committed > log.logEndOffset ? reset : committed;
    }
    default:
      return log.highWatermark;
  }
}
