// The nested run's vitest config (global-setup.test.ts); vitest loads its default export.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['*.check.ts'], globalSetup: ['./setup.ts'], pool: 'forks', maxWorkers: 1 },
});
