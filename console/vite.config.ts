// Builds the console into dist/console of the repository (served by the server at /admin).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/admin/',
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Preact's JSX, compiled by Vite's own transformer (no plugin needed for a production build).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: {
    alias: { '@roster/client': fileURLToPath(new URL('../clients/typescript/src/index.ts', import.meta.url)) },
  },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    // No inline scripts or styles (the Content-Security-Policy forbids them): everything in hashed files.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    reportCompressedSize: true,
  },
});
