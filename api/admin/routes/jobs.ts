// The scheduler's jobs and run ledger for staff: what is declared, when each runs next, and what ran.
import type { FastifyPluginAsync } from 'fastify';
import { recordAudit } from '../../../marketplace/moderation/audit.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { NotFoundError } from '../../../core/errors.js';
import { lastRuns, RUN_STATUSES, runHistory, type RunStatus, type Scheduler } from '../../../pipelines/scheduler/index.js';
import { adminOf } from '../admin-of.js';
import { reasonBody, reasonOf, type ReasonBody } from '../schemas.js';

export const jobRoutes: FastifyPluginAsync<{ pool: Pool; scheduler: Scheduler }> = async (app, { pool, scheduler }) => {
  app.get('/admin/jobs', async () => {
    const last = await lastRuns(pool);
    return {
      data: scheduler.jobs.map((job) => ({
        name: job.name, description: job.description, cron: job.cron, timezone: job.timezone, time_limit_s: job.timeLimitMs / 1000,
        missed: job.missed, next_run: scheduler.nextRun(job)?.toISOString() ?? null, last_run: last.get(job.name) ?? null,
      })),
    };
  });

  app.get<{ Querystring: { job?: string; status?: RunStatus; limit: number } }>('/admin/jobs/runs', {
    schema: {
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          job: { type: 'string', minLength: 1, maxLength: 100 }, status: { type: 'string', enum: [...RUN_STATUSES] },
          limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
        },
      },
    },
  }, async (request) => ({ data: await runHistory(pool, { job: request.query.job, status: request.query.status }, request.query.limit) }));

  // Waits for the run, like `steveslist jobs run`; its outcome is in the ledger and the audit trail.
  app.post<{ Params: { name: string }; Body: ReasonBody }>('/admin/jobs/:name/run', {
    schema: {
      params: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 100 } } },
      body: reasonBody,
    },
  }, async (request) => {
    const { name } = request.params;
    if (!scheduler.job(name)) throw new NotFoundError(`no job named ${name} (GET /admin/jobs lists them)`);
    const reason = reasonOf(request.body);
    const outcome = await scheduler.runNow(name);
    await recordAudit(pool, { admin: adminOf(request), action: 'job.run', targetType: 'job', reason, details: { job: name, run_id: outcome.id, status: outcome.status } });
    return { job: name, ...outcome };
  });
};
