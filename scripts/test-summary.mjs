#!/usr/bin/env node
// Prints the test run's totals as one plain closing line ("tests: N passed, N failed, N skipped")
// from vitest's JSON report, so CI logs end with a line any reader can parse.
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results/vitest.json';
if (!existsSync(file)) {
  process.stdout.write('tests: 0 passed, 0 failed (no report: the suite did not run)\n');
  process.exit(1);
}
const r = JSON.parse(readFileSync(file, 'utf8'));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
process.stdout.write(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped\n`);
process.exit(r.numFailedTests > 0 || r.numTotalTests === 0 ? 1 : 0);
