// The pipeline at a glance: change capture's position and lag, each consumer group's lag, the
// dead letters waiting, and the roles running here.
import { api } from '../api.js';
import { h } from '../dom.js';
import type { PageContext } from '../router.js';
import { badge, card, facts, fill, link, pageHeader, table, time } from '../ui.js';

interface PipelineStatus {
  bus: string;
  cdc: {
    running_here: boolean; phase: string | null; position: { file: string; pos: number; gtid: string | null } | null;
    source_position: { file: string; pos: number; gtid: string | null } | null;
    lag: { bytes: number | null; transactions: number | null; caught_up: boolean | null; seconds: number | null };
    changes_published: number | null; last_commit_at: string | null; source_error?: string;
  } | null;
  consumer_groups: { group: string; lag: number; partitions: { topic: string; partition: number; lag: number }[] }[];
  dead_letters: { topic: string; group: string; count: number }[];
  roles: { role: string; state?: string; status?: string; restarts?: number; [key: string]: unknown }[];
}

const number = (value: number | null | undefined) => (value === null || value === undefined ? '—' : value.toLocaleString('en-GB'));
const position = (p: { file: string; pos: number } | null) => (p ? `${p.file} : ${p.pos.toLocaleString('en-GB')}` : '—');

export function pipelinePage(_context: PageContext): HTMLElement {
  const body = h('div');
  const load = () => fill(body, async () => {
    const status = await api<PipelineStatus>('GET', '/admin/pipeline');
    const letters = new Map(status.dead_letters.map((entry) => [entry.group, entry.count]));
    const cdc = status.cdc;
    return h('div', { class: 'stack' },
      h('div', { class: 'tiles' },
        h('div', { class: 'tile' }, h('span', {}, 'Change capture'), h('strong', {}, cdc ? (cdc.lag.caught_up ? 'Caught up' : 'Behind') : 'Not here'),
          h('small', {}, cdc ? `${number(cdc.lag.seconds)} s behind · ${number(cdc.lag.transactions)} transactions` : 'no reader in this process')),
        h('div', { class: 'tile' }, h('span', {}, 'Consumer lag'), h('strong', {}, number(status.consumer_groups.reduce((sum, group) => sum + group.lag, 0))), h('small', {}, `messages across ${status.consumer_groups.length} groups`)),
        h('div', { class: `tile ${status.dead_letters.some((entry) => entry.count > 0) ? 'alert' : ''}` }, h('span', {}, 'Dead letters'),
          h('strong', {}, number(status.dead_letters.reduce((sum, entry) => sum + entry.count, 0))), h('small', {}, 'waiting for a replay')),
        h('div', { class: 'tile' }, h('span', {}, 'Bus'), h('strong', {}, status.bus), h('small', {}, `${status.roles.length} roles supervised here`))),
      card('Change capture (CDC)', cdc ? facts([
        ['Phase', cdc.phase ? badge(cdc.phase) : '—'],
        ['Read up to', position(cdc.position)],
        ['Source is at', position(cdc.source_position)],
        ['Lag', `${number(cdc.lag.bytes)} bytes · ${number(cdc.lag.transactions)} transactions · ${number(cdc.lag.seconds)} s`],
        ['Changes published', number(cdc.changes_published)],
        ['Last commit', time(cdc.last_commit_at)],
        ['Source', cdc.source_error ?? 'readable'],
      ]) : h('p', { class: 'muted' }, 'Change capture does not run in this process.')),
      card('Consumer groups (the sinks)', table([
        { label: 'Group', cell: (row: PipelineStatus['consumer_groups'][number]) => h('strong', {}, row.group) },
        { label: 'Health', cell: (row) => badge((letters.get(row.group) ?? 0) > 0 ? 'dead letters' : row.lag > 1000 ? 'behind' : 'healthy') },
        { label: 'Lag (messages)', cell: (row) => number(row.lag), numeric: true },
        { label: 'Partitions behind', cell: (row) => `${row.partitions.filter((partition) => partition.lag > 0).length} of ${row.partitions.length}`, numeric: true },
        { label: 'Dead letters', cell: (row) => number(letters.get(row.group) ?? 0), numeric: true },
        { label: '', cell: (row) => link(`/pipeline/dead-letters/${encodeURIComponent(row.group)}`, (letters.get(row.group) ?? 0) > 0 ? 'Dead letters →' : 'View') },
      ], status.consumer_groups, 'No consumer group runs.')),
      status.roles.length > 0 ? card('Roles', table([
        { label: 'Role', cell: (row: PipelineStatus['roles'][number]) => h('strong', {}, row.group && row.group !== row.role ? `${row.role} (${String(row.group)})` : row.role) },
        { label: 'State', cell: (row) => h('div', {}, badge(String(row.status ?? 'ok')), row.error ? h('div', { class: 'small muted' }, String(row.error)) : null) },
        { label: 'Restarts', cell: (row) => number(typeof row.restarts === 'number' ? row.restarts : null), numeric: true },
      ], status.roles)) : null);
  });
  void load();
  return h('div', {}, pageHeader('Pipeline', 'Change capture, the sinks’ consumer groups and their dead letters.', h('button', { type: 'button', class: 'secondary', onclick: () => void load() }, 'Refresh')), body);
}
