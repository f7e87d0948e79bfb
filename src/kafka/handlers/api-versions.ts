/**
 * ApiVersions (18), v0–4: advertises exactly the APIs and versions registered in handlers/index.ts.
 * (An unsupported ApiVersions version is answered by the connection with UNSUPPORTED_VERSION and
 * a v0 body, as Kafka does.)
 */
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

export function apiVersionsHandler(advertised: () => Array<{ apiKey: number; minVersion: number; maxVersion: number }>): KafkaHandler {
  return {
    apiKey: API_KEY.ApiVersions,
    minVersion: 0,
    maxVersion: 4,
    handle: async () => ({ errorCode: 0, apiKeys: advertised(), throttleTimeMs: 0 }),
  };
}
