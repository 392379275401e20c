// The layer table of docs/architecture.md as rules: `npm run check:layers` (run by .ci/run)
// fails on any import the table does not allow. Type-only imports count: a type is a
// dependency on the module that declares it.
//
// Test files (`*.test.ts` beside the code) are composition roots like src/main: they may
// wire any layer to prove one. They are still checked for cycles and child_process.
const TESTS = '\\.test\\.ts$';
const PROCESS_RUNNER = '^src/adapters/process/process-runner\\.ts$';

/** `from` (a src folder) may import, within src/, only the folders (or single files) in `allowed`. */
function layer(name, from, allowed, comment) {
  const targets = allowed.map((a) => (a.endsWith('\\.ts') ? `${a}$` : `${a}/`));
  return {
    name,
    comment,
    severity: 'error',
    from: { path: `^src/${from}/`, pathNot: TESTS },
    to: { path: '^src/', pathNot: `^src/(${targets.join('|')})` },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one: neither can be understood, tested or moved alone.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'one-process-spawner',
      comment: 'Exactly one module starts processes (argv arrays, never a shell, minimal env, stdin closed): src/adapters/process/process-runner.ts.',
      severity: 'error',
      from: { path: '^src/', pathNot: PROCESS_RUNNER },
      to: { path: '^(node:)?child_process$' },
    },
    {
      name: 'domain-is-pure',
      comment: 'src/domain imports nothing with I/O: only itself, zod (the job spec) and node:crypto (ids).',
      severity: 'error',
      from: { path: '^src/domain/', pathNot: TESTS },
      to: { pathNot: '^(src/domain/|node_modules/zod/|(node:)?crypto$)' },
    },
    {
      name: 'ffmpeg-is-pure',
      comment: 'src/ffmpeg (argument builders, parsers) imports only domain, itself and node:path (string work on file names).',
      severity: 'error',
      from: { path: '^src/ffmpeg/', pathNot: TESTS },
      to: { pathNot: '^(src/(domain|ffmpeg)/|(node:)?path$)' },
    },
    {
      name: 'ports-are-interfaces',
      comment: 'src/ports imports only domain (and node:stream for the Readable type of blob bodies).',
      severity: 'error',
      from: { path: '^src/ports/', pathNot: TESTS },
      to: { pathNot: '^(src/(domain|ports)/|(node:)?stream$)' },
    },
    layer('adapters-see-ports-and-domain', 'adapters', ['adapters', 'ports', 'domain', 'ffmpeg'],
      'An adapter implements a port; it never reaches up into services, http, worker, pipelines or main (src/ffmpeg: next rule).'),
    {
      name: 'adapters-ffmpeg-only-in-media-runner',
      comment: "Only the ffmpeg process adapter may use src/ffmpeg: the pure parsers of ffmpeg's own output (progress, capability lists).",
      severity: 'error',
      from: { path: '^src/adapters/', pathNot: `^src/adapters/ffmpeg-process/|${TESTS}` },
      to: { path: '^src/ffmpeg/' },
    },
    layer('pipelines-see-ports-ffmpeg-domain', 'pipelines', ['pipelines', 'ports', 'ffmpeg', 'domain'],
      'A pipeline turns a spec into ffmpeg runs through the MediaRunner and BlobStore ports.'),
    layer('services-see-ports-and-domain', 'services', ['services', 'ports', 'domain'],
      'Services (jobs, uploads, auth, links, files) use ports only.'),
    layer('http-sees-services', 'http', ['http', 'services', 'domain'],
      'Routes call services; no port, adapter or pipeline behind their back.'),
    layer('worker-sees-ports-and-pipelines', 'worker', ['worker', 'ports', 'pipelines', 'domain', 'services/outbox-relay\\.ts'],
      'The worker drives pipelines through ports; services/outbox-relay.ts (send the outbox, mark it sent) is shared with the API on purpose.'),
    layer('cli-sees-main', 'cli', ['cli', 'main', 'domain'],
      'The CLI starts what main composes, or talks to the API over HTTP; it never builds an adapter itself.'),
    {
      name: 'only-main-composes',
      comment: 'src/main (config, adapter construction) is imported only by the CLI and tests.',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(main|cli)/|${TESTS}` },
      to: { path: '^src/main/' },
    },
    {
      name: 'no-test-code-in-src',
      severity: 'error',
      from: { path: '^src/', pathNot: TESTS },
      to: { path: '^test/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing is a typo or a missing dependency.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // A worktree whose node_modules is a symlink to another checkout's resolves packages there, not as files of src.
    preserveSymlinks: true,
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
