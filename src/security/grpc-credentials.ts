/**
 * gRPC server credentials from the broker's TlsMaterial: TLS 1.2/1.3, client certificates per
 * ssl.client.auth, and every TLS reload pushed to grpc-js's watchers (which call
 * `setSecureContext` on the HTTP/2 server: open channels are kept, new handshakes see the new
 * certificate). Plaintext (`createInsecure`) when no material is given.
 */
import * as grpc from '@grpc/grpc-js';
import type { SecureContextOptions } from 'node:tls';
import type { TlsMaterial } from './tls-material.js';

class ReloadingServerCredentials extends grpc.ServerCredentials {
  constructor(tls: TlsMaterial) {
    const server = tls.serverOptions();
    super({ requestCert: server.requestCert, rejectUnauthorized: server.rejectUnauthorized, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' }, tls.contextOptions);
    tls.subscribe((options: SecureContextOptions) => this.updateSecureContextOptions(options));
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

export function grpcServerCredentials(tls: TlsMaterial | undefined): grpc.ServerCredentials {
  return tls === undefined ? grpc.ServerCredentials.createInsecure() : new ReloadingServerCredentials(tls);
}
