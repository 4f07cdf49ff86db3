// The Evidence dashboards (built under DATA_DIR/dashboards, the newest build linked at its site/) at
// /reports on the admin server. A browser cannot send a bearer token with every script and data file, so the pages
// are open to loopback clients and to clients whose certificate the TLS layer verified (like
// /metrics), and refused to anyone else. Staff start a rebuild and watch it on /admin/reports/*.
import { stat } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Logger } from '../../../core/log.js';
import { siteDir } from '../../../reports/export/build-dashboards.js';
import { readBuildStatus } from '../../../reports/export/build-status.js';

export interface ReportRoutesOptions {
  /** Where the dashboards are built: its site/ is served, its builds/ holds the build status. Absent: nothing is built here. */
  dashboardsDir?: string;
  /** Starts a rebuild and resolves with its summary; absent where this process cannot reach the warehouse. */
  rebuild?: () => Promise<string>;
  log: Logger;
}

const NOT_BUILT = 'The dashboards are not built yet: they are built every few minutes by the reports.refresh-dashboards job '
  + '(or at once: npx steveslist jobs run reports.refresh-dashboards, or POST /admin/reports/rebuild), which needs `npm run reports:install` once.\n';

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export const reportRoutes: FastifyPluginAsync<ReportRoutesOptions> = async (app, options) => {
  const { dashboardsDir } = options;
  const root = dashboardsDir === undefined ? undefined : siteDir(dashboardsDir);
  const isBuilt = async () => root !== undefined && isFile(join(root, 'index.html'));
  const buildStatus = () => (dashboardsDir === undefined ? {} : readBuildStatus(dashboardsDir));
  // No root here: every sendFile names the folder, and the plugin would warn at start-up about a
  // folder that exists only once the dashboards are built. The start-up says how to build them instead.
  await app.register(fastifyStatic, { serve: false });
  if (!(await isBuilt())) app.log.info({ dashboards: root ?? 'not built by this service' }, NOT_BUILT.trim());

  async function send(reply: FastifyReply, relative: string) {
    if (root === undefined) return reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
    // SvelteKit's static pages: /reports/platform is platform.html, /reports/ is index.html.
    for (const candidate of [relative, join(relative, 'index.html'), `${relative}.html`]) {
      // No dot segments: neither a way out of the folder nor the build's own bookkeeping (.inputs-sha256).
      if (candidate && !candidate.split(sep).some((part) => part.startsWith('.')) && (await isFile(join(root, candidate)))) {
        const immutable = candidate.startsWith(`_app${sep}immutable${sep}`);
        return reply.sendFile(candidate, root, immutable ? { maxAge: '365d', immutable: true } : { maxAge: 0 });
      }
    }
    if (!(await isBuilt())) return reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
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

  const statusOf = async () => ({ built: await isBuilt(), ...buildStatus() });

  // What the builder is doing (stage, since when) and what the last build did ("data as of", outcome, error).
  app.get('/admin/reports/build', async () => statusOf());

  // 202: the build goes on in the background (a minute or two); GET /admin/reports/build follows it.
  app.post('/admin/reports/rebuild', async (request, reply) => {
    if (!options.rebuild) {
      return reply.code(503).send({ error: 'unavailable', message: 'this admin service does not reach the warehouse; rebuild where the platform runs: npx steveslist jobs run reports.refresh-dashboards' });
    }
    const running = buildStatus().building;
    if (running) return reply.code(202).send({ started: false, message: `a build is already running (since ${running.startedAt}, at ${running.stage})`, status: await statusOf() });
    const admin = request.adminUsername;
    options.log.info({ admin }, 'dashboards rebuild asked for');
    options.rebuild().catch((error: unknown) => options.log.error({ err: error }, 'dashboards rebuild failed'));
    return reply.code(202).send({ started: true, message: 'rebuild started; GET /admin/reports/build shows its progress', status: await statusOf() });
  });
};
