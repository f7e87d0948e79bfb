/**
 * The baseline server of bench/grpc.ts: a bare @grpc/grpc-js bidi stream that answers every
 * message with a small ack, nothing else. Prints its port on stdout.
 */
import * as grpc from '@grpc/grpc-js';

export const ECHO_SERVICE: grpc.ServiceDefinition = {
  Echo: {
    path: '/bench.Echo/Echo',
    requestStream: true,
    responseStream: true,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
};

if (process.argv[1]?.endsWith('grpc-echo-server.js')) {
  const server = new grpc.Server();
  const ack = Buffer.alloc(16);
  server.addService(ECHO_SERVICE, {
    Echo: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', () => call.write(ack));
      call.on('end', () => call.end());
    },
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    process.stdout.write(`${port}\n`);
  });
}
