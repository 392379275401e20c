import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The web console (docs/console.md): `npm run build` writes it to dist/console, which the API
// serves at / with its assets under /console/assets/ (src/http/routes/console.routes.ts).
// Loaded with --configLoader runner: no bundled copy of this file is written into node_modules.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/console/',
  // Preact's JSX through Vite's own transform (Oxc): no plugin needed.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inlined data: URLs or scripts: the page's CSP allows this origin's files only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
    target: 'es2022',
  },
});
