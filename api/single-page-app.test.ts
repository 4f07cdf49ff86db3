import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test/fixtures/temp-dir.js';
import { singlePageApp } from './single-page-app.js';

const dir = tempDir();
afterAll(() => dir.remove());

async function server(dist: string) {
  const app = Fastify();
  app.get('/v1/known', async () => ({ ok: true }));
  const serve = await singlePageApp(app, { dist, notBuilt: 'not built: run the build\n', isApiPath: (path) => path.startsWith('/v1/') });
  app.get('/*', serve);
  return app;
}

describe('a single-page app beside an API', () => {
  it("serves files, its page for the app's own paths, and leaves the API's paths and missing files to 404", async () => {
    const dist = join(dir.path, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(dist, 'assets', 'main-abc123.js'), 'console.log(1)');
    writeFileSync(join(dir.path, 'secret.txt'), 'outside');
    const app = await server(dist);
    try {
      const page = await app.inject('/orders/42?tab=messages');
      expect([page.statusCode, page.headers['cache-control'], page.body]).toEqual([200, 'no-cache', '<!doctype html><title>app</title>']);
      const bundle = await app.inject('/assets/main-abc123.js');
      expect([bundle.statusCode, bundle.headers['cache-control']]).toEqual([200, 'public, max-age=31536000, immutable']);
      expect((await app.inject('/assets/main-old.js')).statusCode).toBe(404);
      expect((await app.inject('/v1/unknown')).statusCode).toBe(404);
      expect((await app.inject('/v1/known')).json()).toEqual({ ok: true });
      const escape = await app.inject('/..%2fsecret.txt');
      expect(escape.body).not.toContain('outside');
    } finally {
      await app.close();
    }
  });

  it('says how to build it when it is not built', async () => {
    const app = await server(join(dir.path, 'missing'));
    try {
      const page = await app.inject('/');
      expect([page.statusCode, page.body]).toEqual([503, 'not built: run the build\n']);
    } finally {
      await app.close();
    }
  });
});
