/**
 * The package entry `rill`: start a broker inside this process (`startBroker`), plus the error
 * types its calls reject with. The gRPC client is `rill/client`, test-runner helpers
 * `rill/testing`.
 */
export { startBroker } from './start-broker.js';
export type { CreatedTopic, EmbeddedBroker, StartBrokerOptions, TopicSpec } from './start-broker.js';
export { BrokerError, BROKER_ERROR_CODES } from '../errors.js';
export type { BrokerErrorCode } from '../errors.js';
export { ConfigError } from '../config.js';
export type { BrokerConfig, TopicDefaults } from '../config.js';
