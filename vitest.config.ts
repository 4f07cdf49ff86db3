import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '.data/**', 'reports/.evidence/**', 'reports/build/**'],
    // One private MariaDB for the whole run; each test file works in a database of its own.
    globalSetup: ['test/fixtures/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
