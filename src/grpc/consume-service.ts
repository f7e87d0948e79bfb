/**
 * rill.v1.ConsumeService. `Fetch` is a long poll over one partition; `Subscribe` a server
 * stream of one or more partitions (subscribe-stream.ts); `ListOffsets` answers earliest,
 * latest or by time. Fetch and Subscribe answer per record or, with `batches`, with the stored
 * batches verbatim (record-view.ts). Malformed requests are INVALID_ARGUMENT before any lookup; an offline
 * partition answers its storage error (UNAVAILABLE), never an empty log.
 */
import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { FetchRequestMsg, ListOffsetsRequestMsg, SubscribeRequestMsg } from './messages.js';
import { encodeConsumedRecords, finishMessage } from './record-encoder.js';
import { toConsumedRecords, wholeBatches } from './record-view.js';
import { checkEnum, checkNonNegative, checkOffset, checkPartition, checkTopicName } from './request-checks.js';
import { unary, type ServiceContext } from './service-context.js';
import { subscribe } from './subscribe-stream.js';
import { subscribeGroupHandler } from './subscribe-group.js';

const DEFAULT_MAX_BYTES = 1024 * 1024;
const OFFSET_SPECS: ReadonlyArray<ListOffsetsRequestMsg['spec']> = ['OFFSET_SPEC_UNSPECIFIED', 'OFFSET_SPEC_EARLIEST', 'OFFSET_SPEC_LATEST', 'OFFSET_SPEC_TIMESTAMP'];

export function consumeService(ctx: ServiceContext): UntypedServiceImplementation {
  return {
    Fetch: unary(ctx, 'ConsumeService.Fetch', async (req: FetchRequestMsg) => {
      const topic = checkTopicName(req.topic);
      const partition = checkPartition(req.partition);
      const offset = checkOffset(req.offset, 'offset');
      const maxBytes = checkNonNegative(req.maxBytes, 'max_bytes') > 0 ? req.maxBytes : DEFAULT_MAX_BYTES;
      const maxWaitMs = checkNonNegative(req.maxWaitMs, 'max_wait_ms');
      const result = await ctx.registry.read(topic, partition, offset, { maxBytes, maxWaitMs, signal: ctx.shutdown });
      const positions = { nextOffset: result.nextOffset.toString(), highWatermark: result.highWatermark.toString(), logStartOffset: result.logStartOffset.toString() };
      if (req.batches === true) {
        const batches = wholeBatches(result.records);
        ctx.metrics.consumed(topic, batches.bytes.length, batches.records);
        return { records: [], batches: batches.bytes, ...positions };
      }
      const encoded = encodeConsumedRecords(result.records, partition, offset);
      if (encoded !== undefined) {
        ctx.metrics.consumed(topic, result.records.length, encoded.count);
        return finishMessage(encoded.writer, [[2, result.nextOffset], [3, result.highWatermark], [4, result.logStartOffset]]);
      }
      const records = await toConsumedRecords(result.records, partition, offset);
      ctx.metrics.consumed(topic, result.records.length, records.length);
      return { records, ...positions };
    }),
    ListOffsets: unary(ctx, 'ConsumeService.ListOffsets', async (req: ListOffsetsRequestMsg) => {
      const topic = checkTopicName(req.topic);
      const partition = checkPartition(req.partition);
      const kind = checkEnum(req.spec, 'spec', OFFSET_SPECS);
      const spec = kind === 'OFFSET_SPEC_EARLIEST' ? 'earliest' : kind === 'OFFSET_SPEC_TIMESTAMP' ? { timestampMs: checkOffset(req.timestampMs, 'timestamp_ms') } : 'latest';
      return { offset: (await ctx.registry.listOffset(topic, partition, spec)).toString() };
    }),
    Subscribe: (call: ServerWritableStream<SubscribeRequestMsg, unknown>) => {
      void subscribe(ctx, call);
    },
    SubscribeGroup: subscribeGroupHandler(ctx),
  };
}
