/**
 * `rill/testing`: test-runner helpers over `startBroker`.
 *
 * - Global setup (vitest `globalSetup`, jest `globalSetup`/`globalTeardown`): `setup()` starts one
 *   broker for the whole run and publishes its addresses in the environment — `KAFKA_BROKERS`
 *   (Kafka bootstrap `host:port`), `RILL_GRPC` (gRPC `host:port`), `RILL_HTTP` — before the test
 *   workers start, so every worker inherits them; `teardown()` stops it and restores the
 *   previous values. `createGlobalSetup(options)` is the same pair with broker options.
 * - `withBroker(fn, options)`: a broker for one test, stopped when `fn` settles.
 *
 * State: the global-setup broker is held by its setup/teardown pair (one per
 * `createGlobalSetup` call); the plain `setup`/`teardown` share one such pair. Setup twice
 * without teardown is an error.
 */
import { startBroker, type EmbeddedBroker, type StartBrokerOptions } from './start-broker.js';

export const ENV_KAFKA_BROKERS = 'KAFKA_BROKERS';
export const ENV_RILL_GRPC = 'RILL_GRPC';
export const ENV_RILL_HTTP = 'RILL_HTTP';
const ENV_NAMES = [ENV_KAFKA_BROKERS, ENV_RILL_GRPC, ENV_RILL_HTTP] as const;

export interface GlobalSetup {
  /** Starts the suite's broker and sets the env vars; returns `teardown` (vitest runs it at the end). */
  setup(): Promise<() => Promise<void>>;
  teardown(): Promise<void>;
  /** The running broker (between setup and teardown). */
  readonly broker: EmbeddedBroker | undefined;
}

export function createGlobalSetup(options: StartBrokerOptions = {}): GlobalSetup {
  let broker: EmbeddedBroker | undefined;
  let saved: Partial<Record<(typeof ENV_NAMES)[number], string | undefined>> = {};
  const teardown = async (): Promise<void> => {
    const running = broker;
    broker = undefined;
    if (running === undefined) return;
    for (const name of ENV_NAMES) {
      const previous = saved[name];
      if (previous === undefined) delete process.env[name];
      else process.env[name] = previous;
    }
    saved = {};
    await running.stop();
  };
  return {
    async setup() {
      if (broker !== undefined) throw new Error('rill/testing: setup() called twice without teardown()');
      broker = await startBroker(options);
      saved = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));
      process.env[ENV_KAFKA_BROKERS] = broker.kafka;
      process.env[ENV_RILL_GRPC] = broker.grpc;
      process.env[ENV_RILL_HTTP] = broker.http;
      return teardown;
    },
    teardown,
    get broker() {
      return broker;
    },
  };
}

const shared = createGlobalSetup();

/** vitest/jest global setup with the default options (`export { setup, teardown } from 'rill/testing'`). */
export function setup(): Promise<() => Promise<void>> {
  return shared.setup();
}

export function teardown(): Promise<void> {
  return shared.teardown();
}

/** Runs `fn` with a fresh broker and stops it afterwards, whether `fn` resolves or throws. */
export async function withBroker<T>(fn: (broker: EmbeddedBroker) => Promise<T> | T, options: StartBrokerOptions = {}): Promise<T> {
  const broker = await startBroker(options);
  try {
    return await fn(broker);
  } finally {
    await broker.stop();
  }
}

export { startBroker };
export type { EmbeddedBroker, StartBrokerOptions };
