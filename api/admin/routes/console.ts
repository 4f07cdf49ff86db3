// Serves the staff console (api/admin/console, built into api/admin/console/dist) at /. Its files
// need no session: the log-in page is one of them, and every piece of data comes from the API,
// which checks the session and the role. Any page-like path answers index.html so the console's
// own links survive a reload; the API's paths keep their JSON answers.
import { stat } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

export interface ConsoleOptions {
  /** The built console; default api/admin/console/dist. */
  distDir?: string;
}

export const DEFAULT_CONSOLE_DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'console', 'dist');
const NOT_BUILT = 'The staff console is not built. Run `npm run build:web` (npm install does it too), then reload.\n';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The console's catch-all: open for its own pages, while an unknown API path still needs a session like any other. */
    console?: boolean;
  }
}

/** Paths the console never owns: an unknown one there stays the API's JSON answer. */
export function isApiPath(url: string): boolean {
  return /^\/(admin|warehouse|reports|metrics|health)(\/|$|\?)/.test(url);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export const consoleRoutes: FastifyPluginAsync<ConsoleOptions> = async (app, options) => {
  const dist = options.distDir ?? DEFAULT_CONSOLE_DIST;
  // Looked up per request, so a build while the server runs shows at the next reload.
  await app.register(fastifyStatic, { root: dist, serve: false });

  async function sendIndex(reply: FastifyReply) {
    if (!(await isFile(join(dist, 'index.html')))) return reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
    return reply.header('cache-control', 'no-cache').sendFile('index.html', dist, { cacheControl: false });
  }

  app.get('/*', { schema: { hide: true }, config: { console: true } }, async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (isApiPath(path)) return reply.callNotFound();
    let relative: string;
    try {
      relative = normalize(decodeURIComponent(path)).replace(/^[/\\]+/, '');
    } catch {
      return sendIndex(reply);
    }
    if (relative !== '' && !relative.split(sep).includes('..') && (await isFile(join(dist, relative)))) {
      const hashed = relative.startsWith(`assets${sep}`);
      return reply.sendFile(relative, dist, hashed ? { maxAge: '365d', immutable: true } : { maxAge: 0 });
    }
    if (/\.[a-z0-9]+$/i.test(relative)) return reply.callNotFound();
    return sendIndex(reply);
  });
};
