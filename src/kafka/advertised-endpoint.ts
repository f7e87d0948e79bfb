/**
 * The Kafka endpoint to give clients for a broker: for this broker, the advertised endpoint of the
 * listener the request came in on (a SASL_SSL client must be sent back to the SASL_SSL port, not
 * the PLAINTEXT one); for other brokers, their registered Kafka endpoint. Pure.
 */
import type { BrokerNode } from '../cluster/index.js';
import type { ConnectionInfo, KafkaContext } from './handler.js';

export function kafkaEndpoint(ctx: KafkaContext, conn: ConnectionInfo | undefined, node: BrokerNode): { host: string; port: number } {
  if (conn?.listener !== undefined && node.nodeId === ctx.cluster.selfId) return { host: conn.listener.advertisedHost, port: conn.listener.advertisedPort };
  return { host: node.host, port: node.kafkaPort };
}
