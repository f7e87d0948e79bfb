/**
 * rill.v1.ConsumeService. `Fetch` is a long poll over one partition. `Subscribe` runs one read
 * loop per partition: read what is there, send it, and when caught up wait on the fetch
 * purgatory (high-watermark events) — no polling; it respects the stream's backpressure and ends
 * when the client cancels or the broker stops. Response headers are sent as soon as the start
 * positions are fixed, so a client knows when later records are sure to reach it. `ListOffsets` answers earliest, latest or by time.
 */
import { Metadata, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { PartitionLog } from '../../storage/index.js';
import { BrokerError, toBrokerError } from '../errors.js';
import type { FetchRequestMsg, ListOffsetsRequestMsg, SubscribeRequestMsg } from './messages.js';
import { toConsumedRecords } from './record-view.js';
import { parseOffset, unary, type ServiceContext } from './service-context.js';
import { toServiceError } from './status-map.js';
import { subscribeGroupHandler } from './subscribe-group.js';

const DEFAULT_MAX_BYTES = 1024 * 1024;
const IDLE_WAIT_MS = 30_000;

export function consumeService(ctx: ServiceContext): UntypedServiceImplementation {
  return {
    Fetch: unary(ctx, 'ConsumeService.Fetch', async (req: FetchRequestMsg) => {
      const offset = parseOffset(req.offset, 'offset');
      const maxBytes = req.maxBytes > 0 ? req.maxBytes : DEFAULT_MAX_BYTES;
      const result = await ctx.registry.read(req.topic, req.partition, offset, { maxBytes, maxWaitMs: req.maxWaitMs, signal: ctx.shutdown });
      const records = await toConsumedRecords(result.records, req.partition, offset);
      ctx.metrics.consumed(req.topic, result.records.length, records.length);
      return {
        records,
        nextOffset: result.nextOffset.toString(),
        highWatermark: result.highWatermark.toString(),
        logStartOffset: result.logStartOffset.toString(),
      };
    }),
    ListOffsets: unary(ctx, 'ConsumeService.ListOffsets', async (req: ListOffsetsRequestMsg) => {
      const spec =
        req.spec === 'OFFSET_SPEC_EARLIEST' ? 'earliest' : req.spec === 'OFFSET_SPEC_TIMESTAMP' ? { timestampMs: parseOffset(req.timestampMs, 'timestamp_ms') } : 'latest';
      return { offset: (await ctx.registry.listOffset(req.topic, req.partition, spec)).toString() };
    }),
    Subscribe: (call: ServerWritableStream<SubscribeRequestMsg, unknown>) => {
      void subscribe(ctx, call);
    },
    SubscribeGroup: subscribeGroupHandler(ctx),
  };
}

async function subscribe(ctx: ServiceContext, call: ServerWritableStream<SubscribeRequestMsg, unknown>): Promise<void> {
  const abort = new AbortController();
  const onShutdown = () => abort.abort();
  ctx.shutdown.addEventListener('abort', onShutdown, { once: true });
  call.on('cancelled', () => abort.abort());
  try {
    const req = call.request;
    const topic = ctx.registry.getTopic(req.topic);
    const partitions = req.partitions.length > 0 ? req.partitions : topic.logs.map((_, p) => p);
    const starts = await Promise.all(partitions.map(async (p) => ({ p, log: ctx.registry.log(req.topic, p), offset: await startOffset(ctx, req, p) })));
    const maxBytes = req.maxBytes > 0 ? req.maxBytes : DEFAULT_MAX_BYTES;
    // Response headers now tell the client the start positions are fixed: records produced
    // from here on will be delivered.
    call.sendMetadata(new Metadata());
    await Promise.all(starts.map((s) => follow(ctx, call, s.log, req.topic, s.p, s.offset, maxBytes, abort.signal)));
    if (!call.cancelled) call.end();
  } catch (err) {
    // grpc-js ends a server stream with a status when the stream emits 'error'.
    if (!call.cancelled && !abort.signal.aborted) call.emit('error', toServiceError(err));
    else if (!call.cancelled) call.end();
  } finally {
    abort.abort();
    ctx.shutdown.removeEventListener('abort', onShutdown);
  }
}

async function follow(
  ctx: ServiceContext,
  call: ServerWritableStream<SubscribeRequestMsg, unknown>,
  log: PartitionLog,
  topic: string,
  partition: number,
  from: bigint,
  maxBytes: number,
  signal: AbortSignal,
): Promise<void> {
  let offset = from;
  while (!signal.aborted) {
    let result;
    try {
      result = await log.read(offset, { maxBytes });
    } catch (err) {
      throw toBrokerError(err);
    }
    if (result.records.length === 0) {
      await ctx.registry.waitForData([{ log, offset }], IDLE_WAIT_MS, signal);
      continue;
    }
    const records = await toConsumedRecords(result.records, partition, offset);
    offset = result.nextOffset;
    if (records.length === 0) continue;
    ctx.metrics.consumed(topic, result.records.length, records.length);
    if (signal.aborted) return;
    if (!call.write({ records })) await drained(call, signal);
  }
}

function drained(call: ServerWritableStream<SubscribeRequestMsg, unknown>, signal: AbortSignal): Promise<void> {
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

async function startOffset(ctx: ServiceContext, req: SubscribeRequestMsg, partition: number): Promise<bigint> {
  const log = ctx.registry.log(req.topic, partition);
  switch (req.start) {
      case 'EARLIEST':
        return log.logStartOffset;
      case 'OFFSET': {
        const offset = parseOffset(req.offset, 'offset');
        if (offset < log.logStartOffset || offset > log.logEndOffset) {
          throw new BrokerError('OFFSET_OUT_OF_RANGE', `offset ${offset} of ${req.topic}/${partition} is outside [${log.logStartOffset}, ${log.logEndOffset}]`);
        }
        return offset;
      }
      case 'TIMESTAMP': {
        const found = await ctx.registry.listOffset(req.topic, partition, { timestampMs: parseOffset(req.timestampMs, 'timestamp_ms') });
        return found === -1n ? log.highWatermark : found;
      }
      case 'COMMITTED': {
        if (req.group.length === 0) throw new BrokerError('INVALID_GROUP_ID', 'start COMMITTED needs a group');
        const committed = await ctx.groups.committed(req.group, req.topic, partition);
        const reset = req.reset === 'EARLIEST' ? log.logStartOffset : log.highWatermark;
        return committed === undefined || committed < log.logStartOffset || committed > log.logEndOffset ? reset : committed;
      }
      default:
        return log.highWatermark;
  }
}
