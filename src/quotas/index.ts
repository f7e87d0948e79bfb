/**
 * The quotas folder's one entry: `openQuotas` builds the store (from the metadata store), the
 * client-quota manager, the per-IP connection limits and the Kafka front door's request hook from
 * the broker config, with their metrics on the broker's registry. Quotas are Kafka-front-door
 * only (the gRPC front door has none yet).
 */
import type { Registry } from 'prom-client';
import { ClientQuotaManager } from './client-quota-manager.js';
import { ClientQuotaStore } from './client-quota-store.js';
import { ConnectionQuotas, parseConnectionOverrides } from './connection-quotas.js';
import { QuotaMetrics } from './quota-metrics.js';
import { RequestQuotas } from './request-quotas.js';
import type { SecurityDoc } from '../security/security-doc.js';

export { ClientQuotaManager } from './client-quota-manager.js';
export { ClientQuotaStore, CLIENT_QUOTAS_DOC, CLIENT_QUOTAS_KEY, checkFilter, MATCH_TYPE, type QuotaFilterComponent, type QuotaOp } from './client-quota-store.js';
export { ConnectionQuotas, type AcceptVerdict } from './connection-quotas.js';
export { checkQuotaValue, parseEntity, type EntityComponent, type QuotaEntity } from './quota-entity.js';
export { RequestQuotas, type QuotaTicket } from './request-quotas.js';

export interface QuotaConfig {
  quotaWindowNum: number;
  quotaWindowSizeSeconds: number;
  quotaProducerByteRate?: number | undefined;
  quotaConsumerByteRate?: number | undefined;
  quotaRequestPercentage?: number | undefined;
  quotaConnectionCreationRate?: number | undefined;
  maxConnectionsPerIp: number;
  maxConnectionsPerIpOverrides: string;
}

export interface Quotas {
  store: ClientQuotaStore;
  manager: ClientQuotaManager;
  connections: ConnectionQuotas;
  requests: RequestQuotas;
}

/** `doc`: the cluster's shared quota document (etcd), or the metadata store's CLIENT_QUOTAS_KEY (single node). */
export async function openQuotas(config: QuotaConfig, doc: SecurityDoc, registry?: Registry): Promise<Quotas> {
  const store = await ClientQuotaStore.open(doc);
  const metrics = new QuotaMetrics(registry);
  const windows = { windowNum: config.quotaWindowNum, windowSizeMs: config.quotaWindowSizeSeconds * 1000 };
  const manager = new ClientQuotaManager(
    store,
    windows,
    { producerByteRate: config.quotaProducerByteRate, consumerByteRate: config.quotaConsumerByteRate, requestPercentage: config.quotaRequestPercentage },
    metrics,
  );
  const connections = new ConnectionQuotas(
    store,
    windows,
    { maxConnectionsPerIp: config.maxConnectionsPerIp, overrides: parseConnectionOverrides(config.maxConnectionsPerIpOverrides), connectionCreationRate: config.quotaConnectionCreationRate },
    metrics,
  );
  return { store, manager, connections, requests: new RequestQuotas(manager) };
}
