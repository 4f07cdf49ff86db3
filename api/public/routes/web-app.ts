// Serves the single-page web app (api/web, built into api/web/dist) at /. Any other path that
// is not the API's answers index.html, so the app's own routes survive a reload or a shared link.
import { stat } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

export interface WebAppOptions {
  /** The built app; default api/web/dist. */
  distDir?: string;
}

const DEFAULT_DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'dist');
const NOT_BUILT = 'The web app is not built. Run `npm run build:web` (npm install does it too), then reload.\n';

/** Paths the web app never owns: an unknown one there must stay the API's JSON 404. */
function isApiPath(path: string): boolean {
  return path.startsWith('/v1/') || path === '/v1' || path === '/health' || path.startsWith('/health/');
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export const webAppRoutes: FastifyPluginAsync<WebAppOptions> = async (app, options) => {
  const dist = options.distDir ?? DEFAULT_DIST;
  // Files are looked up per request rather than listed at start, so `npm run build:web` while the
  // server runs takes effect at the next reload.
  await app.register(fastifyStatic, { root: dist, serve: false });

  async function sendIndex(reply: FastifyReply) {
    if (!(await isFile(join(dist, 'index.html')))) return reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
    // Always revalidated: it names the current hashed bundles.
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  }

  app.get('/*', { schema: { hide: true }, config: { rateLimit: false } }, async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (isApiPath(path)) return reply.callNotFound();
    let relative: string;
    try {
      relative = normalize(decodeURIComponent(path)).replace(/^[/\\]+/, '');
    } catch {
      return sendIndex(reply);
    }
    if (relative !== '' && !relative.split(sep).includes('..') && (await isFile(join(dist, relative)))) {
      // Bundles carry a content hash in their name, so they never change under the same URL.
      const hashed = relative.startsWith(`assets${sep}`);
      return reply.sendFile(relative, hashed ? { maxAge: '365d', immutable: true } : { maxAge: 0 });
    }
    // A missing file (a stale bundle, a typo) is a 404; only page-like paths get the app.
    if (/\.[a-z0-9]+$/i.test(relative)) return reply.callNotFound();
    return sendIndex(reply);
  });
};
