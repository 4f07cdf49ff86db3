// Scheduled jobs: what is declared, when each runs next, and the ledger of runs.
import { api, query } from '../api.js';
import { h } from '../dom.js';
import type { PageContext } from '../router.js';
import { badge, card, confirmAction, field, fill, notice, pageHeader, select, table, time } from '../ui.js';

interface Job {
  name: string; description: string; cron: string; timezone: string; time_limit_s: number; next_run: string | null;
  last_run: { status: string; started_at: string; finished_at: string | null; error: string | null } | null;
}

interface Run {
  id: number; job: string; scheduled_for: string; started_at: string; finished_at: string | null; status: string; trigger_kind: string;
  error: string | null; summary: string | null; host: string;
}

function duration(run: Run): string {
  if (!run.finished_at) return '—';
  const ms = new Date(run.finished_at).getTime() - new Date(run.started_at).getTime();
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function jobsPage(_context: PageContext): HTMLElement {
  const jobs = h('div');
  const messages = h('div', { class: 'messages' });

  async function runNow(job: Job) {
    const reason = await confirmAction({ title: `Run ${job.name} now?`, body: `${job.description} It runs outside its schedule; this page waits for it.`, confirmLabel: 'Run now', reason: true });
    if (reason === undefined) return;
    messages.replaceChildren(notice('info', `${job.name} is running…`));
    try {
      const outcome = await api<{ status: string; summary?: string; error?: string }>('POST', `/admin/jobs/${encodeURIComponent(job.name)}/run`, { reason });
      messages.replaceChildren(notice(outcome.status === 'succeeded' ? 'ok' : 'error', `${job.name} ${outcome.status}${outcome.summary ? `: ${outcome.summary}` : ''}${outcome.error ? `: ${outcome.error}` : ''}`));
    } catch (error) {
      messages.replaceChildren(notice('error', (error as Error).message));
    }
    void loadRuns();
  }

  const runs = h('div');
  const jobFilter = select('job', [['', 'All jobs']]);
  const statusFilter = select('status', [['', 'Any status'], ['failed', 'Failed'], ['succeeded', 'Succeeded'], ['running', 'Running']]);
  const loadRuns = () => fill(runs, async () => {
    const ledger = await api<{ data: Run[] }>('GET', `/admin/jobs/runs${query({ job: jobFilter.value, status: statusFilter.value, limit: 50 })}`);
    return table<Run>([
      { label: 'Job', cell: (row) => h('strong', {}, row.job) },
      { label: 'Started', cell: (row) => time(row.started_at) },
      { label: 'Took', cell: duration, numeric: true },
      { label: 'Status', cell: (row) => badge(row.status) },
      { label: 'How', cell: (row) => row.trigger_kind },
      { label: 'Outcome', cell: (row) => h('span', { class: row.error ? 'error-text small' : 'small' }, row.error ?? row.summary ?? '') },
    ], ledger.data, 'No run matches.');
  });
  void fill(jobs, async () => {
    const list = await api<{ data: Job[] }>('GET', '/admin/jobs');
    for (const job of list.data) jobFilter.append(h('option', { value: job.name }, job.name));
    return table<Job>([
      { label: 'Job', cell: (row) => h('div', {}, h('strong', {}, row.name), h('div', { class: 'muted small' }, row.description)) },
      { label: 'Schedule', cell: (row) => h('code', {}, row.cron), },
      { label: 'Next run', cell: (row) => time(row.next_run) },
      { label: 'Last run', cell: (row) => (row.last_run ? h('div', {}, badge(row.last_run.status), ' ', time(row.last_run.started_at)) : h('span', { class: 'muted' }, 'never')) },
      { label: '', cell: (row) => h('button', { type: 'button', class: 'secondary small', onclick: () => void runNow(row) }, 'Run now…') },
    ], list.data, 'No jobs are scheduled in this process.');
  });
  jobFilter.addEventListener('change', () => void loadRuns());
  statusFilter.addEventListener('change', () => void loadRuns());
  void loadRuns();
  return h('div', {}, pageHeader('Scheduled jobs', 'The scheduler’s jobs and the ledger of what ran.'), messages, card('Jobs', jobs),
    card('Runs', h('div', { class: 'filters' }, field('Job', jobFilter), field('Status', statusFilter)), runs));
}
