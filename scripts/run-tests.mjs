#!/usr/bin/env node
// Runs every test file with Node's own test runner (TypeScript through tsx).
// Usage: npm test [-- <substring filter>...]   e.g. npm test -- contracts
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, full));
  }
  return out;
}

const files = ['src', 'test']
  .flatMap((d) => walk(join(root, d)))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Four files at once: most of a file's time is spent waiting (on ffmpeg, a broker, a lease,
// a retry's backoff), so four keep two cores busy; the suite took 11.9 min at 4 against
// about 15 at 2 on the 2-core CI machine (docs/testing.md). TEST_CONCURRENCY overrides it.
const concurrency = process.env.TEST_CONCURRENCY ?? '4';
// Which node runs the suite is the point of CI's runs on several versions: say it.
console.log(`run-tests: ${files.length} test file(s) on Node ${process.version} (${process.execPath})`);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' } },
);
process.exit(result.status ?? 1);
