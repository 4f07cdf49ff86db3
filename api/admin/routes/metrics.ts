import type { FastifyPluginAsync } from 'fastify';
import { PROMETHEUS_CONTENT_TYPE, toPrometheusText } from '../../../core/prometheus-text.js';
import { threadCpuSeconds } from '../../../core/threads/thread-cpu.js';
import { transactionRollbacks } from '../../../marketplace/domain/transaction.js';
import { pipelineMetrics } from '../../../pipelines/status/pipeline-metrics.js';
import type { PipelineStatusReader } from '../../../pipelines/status/pipeline-status.js';

/**
 * GET /metrics in Prometheus' text format. No session needed from loopback or from a client whose
 * certificate the TLS layer verified (a scraper cannot log in every 12 hours); anyone else needs one.
 */
export const metricsRoutes: FastifyPluginAsync<{ status: PipelineStatusReader }> = async (app, { status }) => {
  app.get('/metrics', { config: { public: 'local' } }, async (_request, reply) => {
    const text = toPrometheusText([...pipelineMetrics(await status.read()), {
      name: 'steveslist_mysql_transaction_rollbacks_total', type: 'counter',
      help: 'Transactions of this process that InnoDB rolled back for a deadlock or lock wait: run again (retried) or given up after the last attempt (gave_up).',
      samples: transactionRollbacks().map(({ code, outcome, count }) => ({ labels: { code, outcome }, value: count })),
    }, {
      name: 'steveslist_thread_cpu_seconds_total', type: 'counter',
      help: "CPU seconds (user + system) of this process's threads: main, each worker thread by name (cdc-reader-thread, search-thread, percolator-thread), runtime (Node's own: garbage-collector helpers, libuv's pool, which also runs the warehouse's queries) and native (threads chDB names: its query and merge pools). A restarted worker thread starts from 0.",
      samples: threadCpuSeconds().map(({ thread, seconds }) => ({ labels: { thread }, value: seconds })),
    }]);
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(text);
  });
};
