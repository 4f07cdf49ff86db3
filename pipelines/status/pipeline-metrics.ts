// The pipeline's status as Prometheus metric families (see core/prometheus-text.ts).
import type { MetricFamily } from '../../core/prometheus-text.js';
import type { RoleStatus } from '../../core/role-health.js';
import type { CdcStats } from '../cdc/reader.js';
import type { PipelineStatus } from './pipeline-status.js';

const CDC_PHASES: CdcStats['phase'][] = ['starting', 'snapshot', 'streaming', 'stopped', 'failed'];

const one = (value: number | null | undefined) => (value === null || value === undefined ? [] : [{ value }]);

export function pipelineMetrics(status: PipelineStatus): MetricFamily[] {
  const cdc = status.cdc;
  const lagByTopic = status.consumer_groups.flatMap((group) => {
    const perTopic = new Map<string, number>();
    for (const p of group.partitions) perTopic.set(p.topic, (perTopic.get(p.topic) ?? 0) + p.lag);
    return [...perTopic].map(([topic, lag]) => ({ labels: { group: group.group, topic }, value: lag }));
  });
  return [
    {
      name: 'steveslist_cdc_phase', type: 'gauge', help: 'Phase of the change-capture reader running in this process (1 for the current one).',
      samples: cdc?.phase ? CDC_PHASES.map((phase) => ({ labels: { phase }, value: phase === cdc.phase ? 1 : 0 })) : [],
    },
    { name: 'steveslist_cdc_changes_published_total', type: 'counter', help: 'Row changes and domain events change capture published to the bus since start.', samples: one(cdc?.changes_published) },
    { name: 'steveslist_cdc_transactions_total', type: 'counter', help: 'Source transactions change capture published since start.', samples: one(cdc?.transactions_published) },
    { name: 'steveslist_cdc_snapshot_rows_total', type: 'counter', help: 'Rows the snapshot published since start.', samples: one(cdc?.snapshot_rows) },
    {
      name: 'steveslist_cdc_incremental_snapshot_rows', type: 'gauge', help: 'Rows the last signalled (incremental) snapshot has published.',
      samples: one(cdc?.incremental_snapshot?.rows),
    },
    {
      name: 'steveslist_cdc_incremental_snapshot_tables_remaining', type: 'gauge', help: 'Tables the signalled (incremental) snapshot has still to read (0 when done).',
      samples: one(cdc?.incremental_snapshot ? cdc.incremental_snapshot.tables - cdc.incremental_snapshot.tables_done : null),
    },
    {
      name: 'steveslist_cdc_incremental_snapshot_paused', type: 'gauge', help: 'Whether the signalled (incremental) snapshot is paused (1) or not (0).',
      samples: one(cdc?.incremental_snapshot ? Number(cdc.incremental_snapshot.paused) : null),
    },
    { name: 'steveslist_cdc_lag_bytes', type: 'gauge', help: 'Source binlog bytes change capture has not read yet.', samples: one(cdc?.lag.bytes) },
    { name: 'steveslist_cdc_lag_transactions', type: 'gauge', help: 'Source transactions change capture has not published yet (MariaDB GTIDs).', samples: one(cdc?.lag.transactions) },
    { name: 'steveslist_cdc_lag_seconds', type: 'gauge', help: 'How far change capture is behind its source: 0 when caught up, else the age of the newest published commit.', samples: one(cdc?.lag.seconds) },
    {
      name: 'steveslist_cdc_last_commit_timestamp_seconds', type: 'gauge', help: 'Commit time of the newest source transaction change capture published.',
      samples: one(cdc?.last_commit_at ? Date.parse(cdc.last_commit_at) / 1000 : null),
    },
    { name: 'steveslist_cdc_source_up', type: 'gauge', help: 'Whether the source binlog position could be read (1) or not (0).', samples: cdc ? [{ value: cdc.source_error ? 0 : 1 }] : [] },
    { name: 'steveslist_consumer_group_lag_messages', type: 'gauge', help: 'Messages published but not yet handled by the consumer group, per topic.', samples: lagByTopic },
    {
      name: 'steveslist_dead_letters', type: 'gauge', help: 'Messages in the dead-letter topic of a consumer group (steveslist dlq list / replay).',
      samples: status.dead_letters.map((d) => ({ labels: { group: d.group, topic: d.topic }, value: d.count })),
    },
    ...roleMetrics(status.roles),
    {
      name: 'steveslist_mart_age_seconds', type: 'gauge', help: 'Seconds since the warehouse mart\'s last successful refresh began (MART_REFRESH_SECONDS apart when healthy).',
      samples: status.marts.flatMap((m) => (m.age_seconds === null ? [] : [{ labels: { mart: m.mart }, value: m.age_seconds }])),
    },
    {
      name: 'steveslist_mart_refresh_failing', type: 'gauge', help: 'Whether the mart\'s last refresh failed (1; readers keep its last good answer) or not (0).',
      samples: status.marts.map((m) => ({ labels: { mart: m.mart }, value: m.error ? 1 : 0 })),
    },
  ];
}

/** Per role supervised in this process: up or degraded, restarts, failures, dead letters sent since start. */
function roleMetrics(roles: readonly RoleStatus[]): MetricFamily[] {
  const labels = (role: RoleStatus): Record<string, string> => (role.group ? { role: role.role, group: role.group } : { role: role.role });
  const family = (name: string, type: MetricFamily['type'], help: string, value: (role: RoleStatus) => number): MetricFamily => ({
    name, type, help, samples: roles.map((role) => ({ labels: labels(role), value: value(role) })),
  });
  return [
    family('steveslist_role_up', 'gauge', 'Whether the role works (1) or is degraded (0): failing, restarting, or a consumer that dead-lettered within HEALTH_DEAD_LETTER_WINDOW_SECONDS.', (r) => (r.status === 'ok' ? 1 : 0)),
    family('steveslist_role_restarts_total', 'counter', 'Times the role was started again after failing since the process started (change capture; the other roles retry in place).', (r) => r.restarts),
    family('steveslist_role_errors_total', 'counter', 'Failed attempts of the role since the process started (for a consumer group: failed batch attempts).', (r) => r.failures),
    family('steveslist_role_dead_lettered_total', 'counter', 'Messages the role sent to its dead-letter topic since the process started.', (r) => r.dead_letters),
  ];
}
