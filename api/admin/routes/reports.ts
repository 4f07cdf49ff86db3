// The Evidence dashboards (reports/, built into reports/build) at /reports on the admin server.
// A browser cannot send a bearer token with every script and data file, so the pages are open to
// loopback clients and to clients whose certificate the TLS layer verified (like /metrics), and
// refused to anyone else.
import { stat } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

export interface ReportRoutesOptions {
  /** The built site; default reports/build. */
  buildDir?: string;
}

export const DEFAULT_REPORTS_BUILD = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'reports', 'build');
const NOT_BUILT = 'The dashboards are not built yet: they are built by the reports.refresh-dashboards job '
  + '(npx steveslist jobs run reports.refresh-dashboards), which needs `npm run reports:install` once.\n';

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export const reportRoutes: FastifyPluginAsync<ReportRoutesOptions> = async (app, options) => {
  const root = options.buildDir ?? DEFAULT_REPORTS_BUILD;
  // No root here: every sendFile names the folder, and the plugin would warn at start-up about a
  // folder that exists only once the dashboards are built. The start-up says how to build them instead.
  await app.register(fastifyStatic, { serve: false });
  if (!(await isFile(join(root, 'index.html')))) app.log.info({ dashboards: root }, NOT_BUILT.trim());

  async function send(reply: FastifyReply, relative: string) {
    // SvelteKit's static pages: /reports/platform is platform.html, /reports/ is index.html.
    for (const candidate of [relative, join(relative, 'index.html'), `${relative}.html`]) {
      // No dot segments: neither a way out of the folder nor the build's own bookkeeping (.inputs-sha256).
      if (candidate && !candidate.split(sep).some((part) => part.startsWith('.')) && (await isFile(join(root, candidate)))) {
        const immutable = candidate.startsWith(`_app${sep}immutable${sep}`);
        return reply.sendFile(candidate, root, immutable ? { maxAge: '365d', immutable: true } : { maxAge: 0 });
      }
    }
    if (!(await isFile(join(root, 'index.html')))) return reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
    return reply.callNotFound();
  }

  app.get('/reports', { config: { public: 'local' } }, (_request, reply) => reply.redirect('/reports/'));
  app.get<{ Params: { '*': string } }>('/reports/*', { config: { public: 'local' } }, async (request, reply) => {
    let relative: string;
    try {
      relative = normalize(decodeURIComponent(request.params['*'])).replace(/^[/\\]+/, '');
    } catch {
      return reply.callNotFound();
    }
    return send(reply, relative === '.' ? '' : relative);
  });
};
