/**
 * ProduceStream flow control: a client that writes requests and never reads its answers stops
 * the broker from appending them. The first client is a raw HTTP/2 client (node:http2, gRPC
 * framing by hand) with a small receive window that it never opens, i.e. a client that honours
 * HTTP/2 flow control and does not read; once it reads, every request is appended and answered
 * in order. The second is grpc-js, which reads one answer and then stops reading.
 *
 * (A grpc-js client that never starts reading is not bounded by anyone: grpc-js 1.14 keeps
 * taking a stream's messages into its own memory until the application reads once.)
 */
import { connect } from 'node:http2';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRillProtos } from '../../../src/grpc/load-protos.js';
import { MAX_UNANSWERED } from '../../../src/grpc/produce-service.js';
import { eventually, removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { TestClient } from '../../helpers/grpc-client.js';
import { useBroker } from '../../helpers/broker-fixture.js';

const REQUESTS = 2000;
const CLIENT_WINDOW = 1024;

describe('ProduceStream flow control', () => {
  const fixture = useBroker();
  let broker: BrokerProcess;
  let client: TestClient;
  beforeAll(() => {
    ({ broker, client } = fixture);
  });

  const appended = async () => {
    const described = await client.call<{ partitions: Array<{ logEndOffset: string }> }>('TopicService', 'Describe', { name: 'flow' });
    return Number(described.partitions[0]!.logEndOffset);
  };

  it('stops appending while the client does not read its answers', async () => {
    await client.createTopic('flow', 1, { flush: 'never' });
    const method = loadRillProtos().services.ProduceService.service.ProduceStream!;
    const serialize = method.requestSerialize as (v: object) => Buffer;
    const deserialize = method.responseDeserialize as (b: Buffer) => { correlationId: string; baseOffset: string; error?: unknown };

    const session = connect(`http://${broker.grpcAddress}`, { settings: { initialWindowSize: CLIENT_WINDOW } });
    const stream = session.request({ ':method': 'POST', ':path': '/rill.v1.ProduceService/ProduceStream', 'content-type': 'application/grpc', te: 'trailers' });
    stream.pause();
    for (let i = 0; i < REQUESTS; i += 1) {
      const body = serialize({ topic: 'flow', partition: 0, correlationId: String(i), records: [{ value: Buffer.from(`r${i}`) }] });
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(body.length, 1);
      stream.write(Buffer.concat([prefix, body]));
    }
    stream.end();

    // Answers fill the client's window, then the broker stops: at most MAX_UNANSWERED requests
    // held, the answers the window took (≈ CLIENT_WINDOW / 12 bytes), and grpc-js's read buffer.
    const bound = MAX_UNANSWERED + Math.ceil(CLIENT_WINDOW / 10) + 32;
    await eventually(async () => ((await appended()) >= MAX_UNANSWERED ? true : undefined), 15_000, 'the first appends');
    const watchUntil = Date.now() + 1500;
    let most = 0;
    while (Date.now() < watchUntil) {
      most = Math.max(most, await appended());
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(most).toBeLessThanOrEqual(bound);
    expect(most).toBeLessThan(REQUESTS);

    // Reading again lets every request through, answered in order.
    const answers: Array<{ correlationId: string; baseOffset: string; error?: unknown }> = [];
    let pending = Buffer.alloc(0);
    const ended = new Promise<void>((resolve) => stream.on('end', resolve));
    stream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
        const length = pending.readUInt32BE(1);
        answers.push(deserialize(pending.subarray(5, 5 + length)));
        pending = pending.subarray(5 + length);
      }
    });
    stream.resume();
    await ended;
    session.close();
    expect(answers.map((a) => a.correlationId)).toEqual(Array.from({ length: REQUESTS }, (_, i) => String(i)));
    expect(answers.every((a, i) => a.baseOffset === String(i) && (a.error === undefined || a.error === null))).toBe(true);
    expect(await appended()).toBe(REQUESTS);
  });

  it('stops appending when a grpc-js client stops reading', async () => {
    await client.createTopic('flow-js', 1, { flush: 'never' });
    const total = 20_000;
    const stream = client.stream('ProduceService', 'ProduceStream');
    stream.on('error', () => undefined);
    stream.once('data', () => stream.pause());
    let written = 0;
    const writeMore = (): void => {
      while (written < total) {
        written += 1;
        if (!stream.write({ topic: 'flow-js', partition: 0, correlationId: String(written), records: [{ value: Buffer.from('x') }] })) {
          stream.once('drain', writeMore);
          return;
        }
      }
    };
    writeMore();
    const end = async () => Number((await client.call<{ partitions: Array<{ logEndOffset: string }> }>('TopicService', 'Describe', { name: 'flow-js' })).partitions[0]!.logEndOffset);
    await eventually(async () => ((await end()) >= MAX_UNANSWERED ? true : undefined), 15_000, 'the first appends');
    // grpc-js's stream window is 64 KiB and an answer here takes about 13 bytes on the wire.
    const bound = MAX_UNANSWERED + Math.ceil(65_535 / 10) + 64;
    const watchUntil = Date.now() + 1500;
    let most = 0;
    while (Date.now() < watchUntil) {
      most = Math.max(most, await end());
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    stream.cancel();
    expect(most).toBeLessThanOrEqual(bound);
    expect(most).toBeLessThan(total);
  });
});
