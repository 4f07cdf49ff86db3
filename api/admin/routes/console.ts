// Serves the staff console (api/admin/console, built into api/admin/console/dist) at /. Its files
// need no session: the log-in page is one of them, and every piece of data comes from the API,
// which checks the session and the role. Any page-like path answers index.html so the console's
// own links survive a reload; the API's paths keep their JSON answers.
import type { FastifyPluginAsync } from 'fastify';
import { singlePageApp } from '../../single-page-app.js';
import { projectPath } from '../../../core/project-root.js';

export interface ConsoleOptions {
  /** The built console; default api/admin/console/dist. */
  distDir?: string;
}

export const DEFAULT_CONSOLE_DIST = projectPath('api', 'admin', 'console', 'dist');
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

export const consoleRoutes: FastifyPluginAsync<ConsoleOptions> = async (app, options) => {
  const serve = await singlePageApp(app, { dist: options.distDir ?? DEFAULT_CONSOLE_DIST, notBuilt: NOT_BUILT, isApiPath });
  app.get('/*', { schema: { hide: true }, config: { console: true } }, serve);
};
