// Serves the single-page web app (api/web, built into api/web/dist) at /. Any other path that
// is not the API's answers index.html, so the app's own routes survive a reload or a shared link.
import type { FastifyPluginAsync } from 'fastify';
import { singlePageApp } from '../../single-page-app.js';
import { projectPath } from '../../../core/project-root.js';

export interface WebAppOptions {
  /** The built app; default api/web/dist. */
  distDir?: string;
}

const DEFAULT_DIST = projectPath('api', 'web', 'dist');
const NOT_BUILT = 'The web app is not built. Run `npm run build:web` (npm install does it too), then reload.\n';

/** Paths the web app never owns: an unknown one there must stay the API's JSON 404. */
function isApiPath(path: string): boolean {
  return path.startsWith('/v1/') || path === '/v1' || path === '/health' || path.startsWith('/health/');
}

export const webAppRoutes: FastifyPluginAsync<WebAppOptions> = async (app, options) => {
  const serve = await singlePageApp(app, { dist: options.distDir ?? DEFAULT_DIST, notBuilt: NOT_BUILT, isApiPath });
  app.get('/*', { schema: { hide: true }, config: { rateLimit: false } }, serve);
};
