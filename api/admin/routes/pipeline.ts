import type { FastifyPluginAsync } from 'fastify';
import type { PipelineStatusReader } from '../../../pipelines/status/pipeline-status.js';

/** GET /admin/pipeline: change capture's position and lag, consumer-group lag, dead letters. */
export const pipelineRoutes: FastifyPluginAsync<{ status: PipelineStatusReader }> = async (app, { status }) => {
  app.get('/admin/pipeline', async () => status.read());
};
