#!/usr/bin/env node
// Mutation check (StrykerJS): which rules of the pure policy no test holds. Not run by CI;
// run it after changing the lifecycle, the retry policy or their tests, and record the score
// in docs/testing.md.
//
// Usage: node scripts/mutation.mjs [file-or-folder…]   default: src/domain/job-lifecycle.ts
//        node scripts/mutation.mjs src/domain          every source file of src/domain
//
// Each mutant is tested with the unit test beside its file (`x.test.ts` next to `x.ts`; for a
// file without one, every test of its folder), through Stryker's command runner:
// `node --import tsx --test …`, coverage analysis off (node:test reports no per-test coverage).
//
// Stryker is not a dependency of the project: it is installed on demand, pinned, into a cache
// folder outside the repository (MEDIAFORGE_STRYKER_DIR, default ~/.cache/mediaforge-stryker),
// the way .ci/run caches its Node binaries. 9.6.1 is the newest release whose engines accept
// Node 20 (10.x needs Node 22).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';

const STRYKER_VERSION = '9.6.1';
const root = new URL('..', import.meta.url).pathname;
const cache = process.env.MEDIAFORGE_STRYKER_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mediaforge-stryker');

// Stryker's sandbox step loads `typescript` (a peer dependency) to rewrite tsconfig.json: the
// project's own pinned version, installed beside it.
const TYPESCRIPT_VERSION = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies.typescript;

const installedVersion = (name) => {
  const pkg = join(cache, 'node_modules', name, 'package.json');
  return existsSync(pkg) ? JSON.parse(readFileSync(pkg, 'utf8')).version : null;
};

function strykerBin() {
  const wanted = { '@stryker-mutator/core': STRYKER_VERSION, typescript: TYPESCRIPT_VERSION };
  const missing = Object.entries(wanted).filter(([name, v]) => installedVersion(name) !== v).map(([name, v]) => `${name}@${v}`);
  if (missing.length) {
    console.log(`mutation: installing ${missing.join(' ')} into ${cache}`);
    mkdirSync(cache, { recursive: true });
    const r = spawnSync('npm', ['install', '--prefix', cache, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', ...Object.entries(wanted).map(([n, v]) => `${n}@${v}`)], { stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  return join(cache, 'node_modules', '.bin', 'stryker');
}

const isSource = (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts');
function sources(path) {
  const full = join(root, path);
  if (!existsSync(full)) {
    console.error(`mutation: no such file or folder: ${path}`);
    process.exit(2);
  }
  if (!statSync(full).isDirectory()) return [relative(root, full)];
  return readdirSync(full, { recursive: true }).map(String).filter(isSource).map((f) => relative(root, join(full, f)));
}

const targets = (process.argv.length > 2 ? process.argv.slice(2) : ['src/domain/job-lifecycle.ts']).flatMap(sources).sort();
// One Stryker run per set of tests: a file with a test beside it is tested by that test alone
// (fast, and it says which test holds which rule); the files of a folder without their own
// test are tested together by all the tests of that folder.
const groups = new Map();
for (const file of targets) {
  const beside = file.replace(/\.ts$/, '.test.ts');
  const tests = existsSync(join(root, beside))
    ? [beside]
    : readdirSync(join(root, dirname(file))).filter((f) => f.endsWith('.test.ts')).map((f) => join(dirname(file), f)).sort();
  if (tests.length === 0) {
    console.error(`mutation: no unit test beside or in the folder of ${file}: a mutant nothing tests survives by definition`);
    process.exit(2);
  }
  const key = tests.join(' ');
  groups.set(key, [...(groups.get(key) ?? []), file]);
}

const reports = join(root, 'reports', 'mutation');
mkdirSync(reports, { recursive: true });
const bin = strykerBin();
const counts = {};
const survivors = [];
const perFile = [];
let n = 0;
for (const [tests, files] of groups) {
  n += 1;
  const name = `run-${n}`;
  const config = {
    mutate: files,
    testRunner: 'command',
    commandRunner: { command: `node --import tsx --test ${tests}` },
    coverageAnalysis: 'off',
    // Two cores are the norm here; one test process at a time leaves one for everything else.
    concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 1),
    timeoutMS: 10_000,
    reporters: ['clear-text', 'progress', 'json', 'html'],
    jsonReporter: { fileName: join(reports, `${name}.json`) },
    htmlReporter: { fileName: join(reports, `${name}.html`) },
    clearTextReporter: { allowColor: false, logTests: false, reportMutants: true },
    tempDirName: '.stryker-tmp',
    cleanTempDir: true,
  };
  const configFile = join(reports, `${name}.config.json`);
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  console.log(`\nmutation ${n}/${groups.size}: ${files.join(', ')} — tested by ${tests.split(' ').map((t) => basename(t)).join(', ')}`);
  const r = spawnSync(bin, ['run', configFile], { cwd: root, stdio: 'inherit', env: { ...process.env, LOG_LEVEL: 'silent' } });
  if (r.status !== 0) process.exit(r.status ?? 1);

  // The figures docs/testing.md records, from the JSON report.
  const report = JSON.parse(readFileSync(config.jsonReporter.fileName, 'utf8'));
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    const lines = source.split('\n');
    const mine = {};
    for (const m of mutants) {
      counts[m.status] = (counts[m.status] ?? 0) + 1;
      mine[m.status] = (mine[m.status] ?? 0) + 1;
      if (m.status === 'Survived' || m.status === 'NoCoverage') {
        survivors.push(`  ${file}:${m.location.start.line} ${m.mutatorName}: ${lines[m.location.start.line - 1].trim().slice(0, 100)}  →  ${String(m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80)}`);
      }
    }
    perFile.push(`  ${file}: ${Object.entries(mine).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
}

const killed = (counts.Killed ?? 0) + (counts.Timeout ?? 0);
const valid = killed + (counts.Survived ?? 0) + (counts.NoCoverage ?? 0);
console.log(`\nmutation: per file\n${perFile.join('\n')}`);
console.log(`mutation: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}; score ${valid ? ((100 * killed) / valid).toFixed(1) : '100.0'} % (killed + timeouts of valid mutants)`);
if (survivors.length) console.log(`survivors:\n${survivors.join('\n')}`);
console.log(`reports: ${relative(root, reports)}/run-*.html`);
