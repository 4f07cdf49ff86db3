// Builds the web app into api/web/dist, which the public server serves at /.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
  // The client library (client/ at the top of the repository) is bundled from source.
  server: { fs: { allow: ['../..'] } },
});
