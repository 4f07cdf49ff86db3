import type { FastifyPluginAsync } from 'fastify';
import { PROMETHEUS_CONTENT_TYPE, toPrometheusText } from '../../../core/prometheus-text.js';
import { pipelineMetrics } from '../../../pipelines/status/pipeline-metrics.js';
import type { PipelineStatusReader } from '../../../pipelines/status/pipeline-status.js';

/**
 * GET /metrics in Prometheus' text format. No session needed from loopback or from a client whose
 * certificate the TLS layer verified (a scraper cannot log in every 12 hours); anyone else needs one.
 */
export const metricsRoutes: FastifyPluginAsync<{ status: PipelineStatusReader }> = async (app, { status }) => {
  app.get('/metrics', { config: { public: 'local' } }, async (_request, reply) => {
    const text = toPrometheusText(pipelineMetrics(await status.read()));
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(text);
  });
};
