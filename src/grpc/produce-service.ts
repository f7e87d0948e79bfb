/**
 * rill.v1.ProduceService. `Produce` is one request, one answer. `ProduceStream` handles many
 * requests at once but answers strictly in request order; a failed request is answered with an
 * `error` and the stream goes on.
 *
 * Flow control counts *unanswered* requests: taken off the stream and not yet answered, where a
 * request is answered only once the transport has accepted its response (the write callback;
 * HTTP/2 holds it back while the client's flow-control window is full, i.e. while the client
 * is not reading). At MAX_UNANSWERED we stop reading the client, so a client that stops reading
 * its answers stops the broker from appending its requests: the broker holds at most
 * MAX_UNANSWERED requests, and what a client may have unread is bounded by its own HTTP/2
 * window. Reading resumes below half the limit. Single-threaded: all state lives in the closure
 * of one stream.
 */
import type * as grpc from '@grpc/grpc-js';
import { toBrokerError } from '../errors.js';
import type { ProduceRequestMsg, ProduceResponseMsg } from './messages.js';
import { encodeProduceResponse } from './produce-response-encoder.js';
import type { PreEncoded } from './record-encoder.js';
import { RecordProducer } from './record-producer.js';
import { seconds, unary, type ServiceContext } from './service-context.js';

export const MAX_UNANSWERED = 64;

export function produceService(ctx: ServiceContext): grpc.UntypedServiceImplementation {
  const producer = new RecordProducer(ctx.registry, ctx.metrics);
  return {
    Produce: unary(ctx, 'ProduceService.Produce', async (req: ProduceRequestMsg) => encodeProduceResponse(await producer.produce(req))),
    ProduceStream: (call: grpc.ServerDuplexStream<ProduceRequestMsg, ProduceResponseMsg | PreEncoded>) => {
      const queue: Array<Promise<ProduceResponseMsg | PreEncoded>> = [];
      let unanswered = 0;
      let pumping = false;
      let inputEnded = false;
      let paused = false;
      let ended = false;

      const finishIfDone = (): void => {
        if (inputEnded && queue.length === 0 && unanswered === 0 && !ended && !call.cancelled) {
          ended = true;
          call.end();
        }
      };
      const answered = (): void => {
        unanswered -= 1;
        if (paused && unanswered <= MAX_UNANSWERED / 2) {
          paused = false;
          call.resume();
        }
        finishIfDone();
      };
      const pump = async (): Promise<void> => {
        if (pumping) return;
        pumping = true;
        while (queue.length > 0) {
          const response = await queue[0]!;
          queue.shift();
          if (call.cancelled) break;
          call.write(response, answered);
        }
        pumping = false;
        finishIfDone();
      };

      call.on('data', (req: ProduceRequestMsg) => {
        const started = process.hrtime.bigint();
        unanswered += 1;
        queue.push(
          producer.produce(req).then(
            (res) => {
              ctx.metrics.request('ProduceService.ProduceStream', 'OK', seconds(started));
              return encodeProduceResponse(res);
            },
            (err: unknown) => {
              const broker = toBrokerError(err);
              ctx.metrics.request('ProduceService.ProduceStream', broker.code, seconds(started));
              return { correlationId: req.correlationId, partition: 0, baseOffset: '0', positions: [], error: { code: broker.code, message: broker.message } };
            },
          ),
        );
        if (unanswered >= MAX_UNANSWERED && !paused) {
          paused = true;
          call.pause();
        }
        void pump();
      });
      call.on('end', () => {
        inputEnded = true;
        void pump();
      });
      call.on('error', (err) => ctx.logger.debug({ err }, 'produce stream error'));
    },
  };
}
