/**
 * The quota metrics on `/metrics` (prom-client, the broker's registry): throttle time handed out
 * per quota type and entity (Kafka's per user/client-id `throttle-time`, as a total to take
 * rates of), throttled responses, and connections refused at accept per reason. Label values
 * are the matched quota's metric tags ('' for a component the quota entity lacks).
 */
import { Counter, type Registry } from 'prom-client';

export type QuotaType = 'produce' | 'fetch' | 'request';

export class QuotaMetrics {
  private readonly throttleMs: Counter<'quota_type' | 'user' | 'client_id'>;
  private readonly throttled: Counter<'quota_type' | 'user' | 'client_id'>;
  private readonly refused: Counter<'reason'>;

  constructor(registry?: Registry) {
    const registers = registry === undefined ? [] : [registry];
    this.throttleMs = new Counter({
      name: 'rill_quota_throttle_time_ms_total',
      help: 'Throttle time given to clients over their quota, per quota type and quota entity (user, client id)',
      labelNames: ['quota_type', 'user', 'client_id'],
      registers,
    });
    this.throttled = new Counter({
      name: 'rill_quota_throttled_responses_total',
      help: 'Responses that carried a throttle time, per quota type and quota entity',
      labelNames: ['quota_type', 'user', 'client_id'],
      registers,
    });
    this.refused = new Counter({
      name: 'rill_connections_refused_total',
      help: 'Kafka connections closed at accept: max.connections.per.ip or connection_creation_rate',
      labelNames: ['reason'],
      registers,
    });
  }

  throttle(type: QuotaType, user: string, clientId: string, ms: number): void {
    const labels = { quota_type: type, user, client_id: clientId };
    this.throttleMs.inc(labels, ms);
    this.throttled.inc(labels);
  }

  refusedConnection(reason: 'max-connections-per-ip' | 'connection-creation-rate'): void {
    this.refused.inc({ reason });
  }
}
