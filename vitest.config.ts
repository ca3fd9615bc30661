import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
    // The JSON report lets .ci/run print one plain 'N passed, N failed' closing line.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    // Generous limits: CI and laptops are busy, and a wait bounded by a quiet machine's speed
    // fails on a loaded one. Tests wait for conditions; these only end a wait that hangs.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // expect.poll's own default (1 s) is a quiet machine's: poll for a minute, often.
    expect: { poll: { timeout: 60_000, interval: 50 } },
    // Two cores: host processes and servers in tests need room to breathe.
    maxWorkers: 2,
  },
});
