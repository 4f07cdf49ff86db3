// Serving a built single-page app (the web app, the staff console) beside an API: files from its
// dist folder, looked up per request so a build while the server runs shows at the next reload;
// hashed bundles cached for good, index.html always revalidated; any page-like path answers
// index.html so the app's own routes survive a reload or a shared link; the API's paths and
// missing files keep the API's 404.
import { stat } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface SinglePageApp {
  dist: string;
  /** Said (503) when the app is not built. */
  notBuilt: string;
  /** Paths the app never owns. */
  isApiPath(path: string): boolean;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Registers the static file sender and returns the catch-all route's handler. */
export async function singlePageApp(app: FastifyInstance, { dist, notBuilt, isApiPath }: SinglePageApp) {
  await app.register(fastifyStatic, { root: dist, serve: false });

  async function sendIndex(reply: FastifyReply) {
    if (!(await isFile(join(dist, 'index.html')))) return reply.code(503).type('text/plain; charset=utf-8').send(notBuilt);
    return reply.header('cache-control', 'no-cache').sendFile('index.html', dist, { cacheControl: false });
  }

  return async (request: FastifyRequest, reply: FastifyReply) => {
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
      return reply.sendFile(relative, dist, hashed ? { maxAge: '365d', immutable: true } : { maxAge: 0 });
    }
    // A missing file (a stale bundle, a typo) is a 404; only page-like paths get the app.
    if (/\.[a-z0-9]+$/i.test(relative)) return reply.callNotFound();
    return sendIndex(reply);
  };
}
