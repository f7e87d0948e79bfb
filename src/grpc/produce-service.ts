/**
 * rill.v1.ProduceService. `Produce` is one request, one answer. `ProduceStream` handles many
 * requests at once but answers strictly in request order; a failed request is answered with an
 * `error` and the stream goes on. Flow control: at most MAX_IN_FLIGHT requests are being
 * appended; beyond that (or while the client is not reading our answers) we stop reading the
 * client, so a fast producer cannot exhaust memory.
 */
import type * as grpc from '@grpc/grpc-js';
import { toBrokerError } from '../errors.js';
import type { ProduceRequestMsg, ProduceResponseMsg } from './messages.js';
import { RecordProducer } from './record-producer.js';
import { seconds, unary, type ServiceContext } from './service-context.js';

const MAX_IN_FLIGHT = 64;

export function produceService(ctx: ServiceContext): grpc.UntypedServiceImplementation {
  const producer = new RecordProducer(ctx.registry, ctx.metrics);
  return {
    Produce: unary(ctx, 'ProduceService.Produce', (req: ProduceRequestMsg) => producer.produce(req)),
    ProduceStream: (call: grpc.ServerDuplexStream<ProduceRequestMsg, ProduceResponseMsg>) => {
      const pending: Array<Promise<ProduceResponseMsg>> = [];
      let writing = false;
      let inputEnded = false;
      let paused = false;

      const pump = async (): Promise<void> => {
        if (writing) return;
        writing = true;
        while (pending.length > 0) {
          const response = await pending[0]!;
          pending.shift();
          if (call.cancelled) break;
          if (!call.write(response)) await new Promise<void>((resolve) => call.once('drain', resolve));
          if (paused && pending.length < MAX_IN_FLIGHT / 2) {
            paused = false;
            call.resume();
          }
        }
        writing = false;
        if (inputEnded && pending.length === 0 && !call.cancelled) call.end();
      };

      call.on('data', (req: ProduceRequestMsg) => {
        const started = process.hrtime.bigint();
        pending.push(
          producer.produce(req).then(
            (res) => {
              ctx.metrics.request('ProduceService.ProduceStream', 'OK', seconds(started));
              return res;
            },
            (err: unknown) => {
              const broker = toBrokerError(err);
              ctx.metrics.request('ProduceService.ProduceStream', broker.code, seconds(started));
              return { correlationId: req.correlationId, partition: 0, baseOffset: '0', positions: [], error: { code: broker.code, message: broker.message } };
            },
          ),
        );
        if (pending.length >= MAX_IN_FLIGHT && !paused) {
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
