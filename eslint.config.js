// Style and correctness checks: `npm run lint` (run by .ci/run). typescript-eslint's
// recommended set without type information, so it stays fast; the compiler
// (`npm run typecheck`) covers what needs types.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'data/', 'bench/.work/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    // The web console (web/console, built by vite): browser code.
    files: ['web/console/src/**'],
    languageOptions: { globals: globals.browser },
  },
  {
    // Tests and benchmarks read loosely typed JSON answers and poke at internals; `any`
    // there costs nothing a failing assertion would not show. Shipped code must not use it.
    files: ['test/**', '**/*.test.ts', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Kysely's documented migration shape: a migration must not depend on today's schema
    // type (it runs against the schema as it was), so it takes Kysely<any>.
    files: ['src/adapters/sql/migrations.ts', 'src/adapters/sql/schema-introspection.ts', 'src/adapters/sql/*.migration.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
