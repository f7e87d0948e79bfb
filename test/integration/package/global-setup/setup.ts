// The suite's global setup, as a user writes it: one broker for the whole run.
export { setup, teardown } from '../../../../src/lib/testing.js';
