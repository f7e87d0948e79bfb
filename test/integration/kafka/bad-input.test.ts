/**
 * Bad input on raw sockets: each bad connection is answered or closed as Kafka would, a log line
 * says why, and every other connection carries on. A client stalled mid-frame blocks nobody and
 * is closed once the request timeout passes (a half-sent frame is never held forever).
 */
import { writeFile } from 'node:fs/promises';
import { Socket, connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/index.js';
import { API_KEY, APIS } from '../../../src/kafka/protocol/api-registry.js';
import { decodeResponse, encodeRequest } from '../../../src/kafka/protocol/frames.js';
import { eventually, newDataDir, removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';

class RawClient {
  readonly socket: Socket;
  private buffered = Buffer.alloc(0);
  closed = false;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (c: Buffer) => (this.buffered = Buffer.concat([this.buffered, c])));
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => undefined);
  }

  async frame(): Promise<Buffer> {
    await eventually(() => (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0) ? true : undefined), 10_000, 'a response');
    const size = this.buffered.readInt32BE(0);
    const frame = this.buffered.subarray(4, 4 + size);
    this.buffered = this.buffered.subarray(4 + size);
    return frame;
  }

  async waitClosed(): Promise<void> {
    await eventually(() => (this.closed ? true : undefined), 10_000, 'the connection to close');
  }
}

describe('bad input on the Kafka port', () => {
  let broker: BrokerProcess;
  const apiVersions = (version: number, correlationId: number) => encodeRequest(API_KEY.ApiVersions, version, correlationId, 'raw', { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });

  beforeAll(async () => {
    const dataDir = await newDataDir();
    const config = join(dataDir, 'test-config.json');
    await writeFile(config, JSON.stringify({ kafkaRequestTimeoutMs: 1000 }));
    broker = await spawnBroker({ dataDir, args: ['--config', config] });
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  async function stillServes(): Promise<void> {
    const ok = new RawClient(broker.kafkaPort);
    ok.socket.write(apiVersions(3, 7));
    const { correlationId, body } = decodeResponse(APIS.get(API_KEY.ApiVersions)!, 3, await ok.frame());
    expect(correlationId).toBe(7);
    expect(body.errorCode).toBe(0);
    ok.socket.destroy();
  }

  it('answers pipelined requests in order', async () => {
    const c = new RawClient(broker.kafkaPort);
    c.socket.write(Buffer.concat([apiVersions(0, 1), apiVersions(3, 2), apiVersions(1, 3)]));
    const ids = [];
    for (let i = 0; i < 3; i += 1) ids.push((await c.frame()).readInt32BE(0));
    expect(ids).toEqual([1, 2, 3]);
    c.socket.destroy();
  });

  it('answers an unknown ApiVersions version with UNSUPPORTED_VERSION and a v0 body', async () => {
    const c = new RawClient(broker.kafkaPort);
    const frame = apiVersions(0, 9);
    frame.writeInt16BE(99, 6);
    c.socket.write(frame);
    const { body } = decodeResponse(APIS.get(API_KEY.ApiVersions)!, 0, await c.frame());
    expect(body.errorCode).toBe(35);
    expect((body.apiKeys as unknown[]).length).toBeGreaterThan(10);
    expect(c.closed).toBe(false);
    c.socket.destroy();
  });

  it('closes a connection that announces a frame over the size limit', async () => {
    const c = new RawClient(broker.kafkaPort);
    const head = Buffer.alloc(4);
    head.writeInt32BE(200 * 1024 * 1024);
    c.socket.write(head);
    await c.waitClosed();
    await stillServes();
  });

  it('closes a connection that sends a negative size, garbage or an unknown API', async () => {
    for (const bytes of [Buffer.from([0xff, 0xff, 0xff, 0xf0]), Buffer.from('\x00\x00\x00\x06garbag'), (() => {
      const f = apiVersions(0, 1);
      f.writeInt16BE(999, 4);
      return f;
    })()]) {
      const c = new RawClient(broker.kafkaPort);
      c.socket.write(bytes);
      await c.waitClosed();
    }
    await stillServes();
    expect(broker.output()).toMatch(/closing kafka connection: bad request/);
  });

  it('closes a connection whose request body does not decode (a huge array count)', async () => {
    const frame = encodeRequest(API_KEY.Metadata, 1, 5, 'raw', { topics: [] });
    frame.writeInt32BE(0x7fffffff, frame.length - 4);
    const c = new RawClient(broker.kafkaPort);
    c.socket.write(frame);
    await c.waitClosed();
    await stillServes();
  });

  it('answers bad batches per partition and sends nothing for acks=0', async () => {
    const c = new RawClient(broker.kafkaPort);
    const send = async (records: Buffer, acks = 1, id = 11) => {
      c.socket.write(encodeRequest(API_KEY.Produce, 7, id, 'raw', { transactionalId: null, acks, timeoutMs: 1000, topicData: [{ name: 'raw-produce', partitionData: [{ index: 0, records }] }] }));
    };
    const errorOf = async () => {
      const { body } = decodeResponse(APIS.get(API_KEY.Produce)!, 7, await c.frame());
      return (body.responses as Array<{ partitionResponses: Array<{ errorCode: number }> }>)[0]!.partitionResponses[0]!.errorCode;
    };
    c.socket.write(encodeRequest(API_KEY.CreateTopics, 4, 10, 'raw', { topics: [{ name: 'raw-produce', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'max.message.bytes', value: '2000' }] }], timeoutMs: 1000, validateOnly: false }));
    await c.frame();
    const good = await encodeRecordBatch([{ key: null, value: Buffer.from('ok') }]);
    const badCrc = Buffer.from(good);
    badCrc[badCrc.length - 1] = badCrc[badCrc.length - 1]! ^ 0xff;
    await send(badCrc);
    expect(await errorOf()).toBe(2);
    const oldMagic = Buffer.from(good);
    oldMagic[16] = 1;
    await send(oldMagic);
    expect(await errorOf()).toBe(43);
    await send(await encodeRecordBatch([{ key: null, value: Buffer.alloc(5000) }]));
    expect(await errorOf()).toBe(10);
    await send(good, 0, 12);
    c.socket.write(apiVersions(0, 13));
    expect((await c.frame()).readInt32BE(0)).toBe(13);
    const fetch = encodeRequest(API_KEY.ListOffsets, 1, 14, 'raw', { replicaId: -1, topics: [{ name: 'raw-produce', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
    c.socket.write(fetch);
    const { body } = decodeResponse(APIS.get(API_KEY.ListOffsets)!, 1, await c.frame());
    expect((body.topics as Array<{ partitions: Array<{ offset: bigint }> }>)[0]!.partitions[0]!.offset).toBe(1n);
    c.socket.destroy();
  });

  it('keeps serving others while a client stalls half-way through a frame, and closes the stalled one after the request timeout', async () => {
    const stalled = new RawClient(broker.kafkaPort);
    stalled.socket.write(apiVersions(3, 1).subarray(0, 10));
    await stillServes();
    await stalled.waitClosed();
    // The log line may reach us a moment after the close.
    await eventually(() => (/request frame not completed in time/.test(broker.output()) ? true : undefined), 10_000, 'the broker to log the half-sent frame');
    await stillServes();
  });
});
