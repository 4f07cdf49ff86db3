// One of a user's webhook endpoints: its delivery log by status, a delivery's attempts, and
// replaying a finished delivery for the user.
import { api, query, type PageOf } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import type { PageContext } from '../router.js';
import { may } from '../session.js';
import { badge, card, confirmAction, facts, field, fill, link, notice, pageHeader, Pager, select, table, time } from '../ui.js';

interface Endpoint {
  id: number; url: string; description: string | null; event_types: string[]; enabled: boolean; disabled_reason: string | null; failing_since: string | null; created_at: string;
}

interface Delivery {
  id: number; event_id: string; event_type: string; status: string; attempts: number; next_attempt_at: string | null; last_attempt_at: string | null;
  last_response_code: number | null; last_latency_ms: number | null; last_error: string | null; created_at: string;
}

interface Attempt {
  attempt: number; started_at: string; latency_ms: number; response_code: number | null; response_body: string | null; error: string | null; succeeded: boolean;
}

const FINISHED = ['succeeded', 'failed', 'dead'];

/** The user's endpoints, for the user page. */
export function endpointsTable(userId: number, endpoints: Endpoint[]): HTMLElement {
  return table<Endpoint>([
    { label: 'Endpoint', cell: (row) => h('div', {}, link(`/users/${userId}/webhooks/${row.id}`, row.url), row.description ? h('div', { class: 'muted small' }, row.description) : null) },
    { label: 'Events', cell: (row) => (row.event_types.length > 0 ? row.event_types.join(', ') : 'all') },
    { label: 'State', cell: (row) => (row.enabled ? (row.failing_since ? h('span', {}, badge('failing'), ' since ', time(row.failing_since)) : badge('active')) : h('span', {}, badge('disabled'), ' ', row.disabled_reason ?? '')) },
    { label: '', cell: (row) => link(`/users/${userId}/webhooks/${row.id}`, 'Deliveries →') },
  ], endpoints, 'No webhook endpoints.');
}

export function webhookPage({ params, query: search, staff }: PageContext): HTMLElement {
  const userId = Number(params.id);
  const endpointId = Number(params.endpoint);
  const canReplay = may(staff, ['support']);
  const messages = h('div', { class: 'messages' });
  const summary = h('div');
  const results = h('div');
  const attempts = h('div');
  const status = select('status', [['', 'Any status'], ['dead', 'Dead'], ['failed', 'Failed'], ['retrying', 'Retrying'], ['pending', 'Pending'], ['succeeded', 'Succeeded']], search.get('status') ?? '');

  async function showAttempts(delivery: Delivery) {
    await fill(attempts, async () => {
      const detail = await api<Delivery & { attempt_log: Attempt[] }>('GET', `/admin/users/${userId}/webhook-deliveries/${delivery.id}`);
      return card(`Attempts of delivery #${delivery.id} (${delivery.event_type})`, table<Attempt>([
        { label: '#', cell: (row) => row.attempt, numeric: true },
        { label: 'When', cell: (row) => time(row.started_at) },
        { label: 'Answer', cell: (row) => (row.response_code ? badge(String(row.response_code)) : h('span', { class: 'muted' }, 'none')) },
        { label: 'Took', cell: (row) => `${row.latency_ms} ms`, numeric: true },
        { label: 'Outcome', cell: (row) => (row.succeeded ? badge('succeeded') : h('span', { class: 'error-text small' }, row.error ?? row.response_body ?? 'failed')) },
      ], detail.attempt_log, 'Not attempted yet.'));
    });
  }

  async function replay(delivery: Delivery) {
    const reason = await confirmAction({ title: `Replay delivery #${delivery.id}?`, body: `The ${delivery.event_type} event is sent to this endpoint again, on a fresh retry schedule.`, confirmLabel: 'Replay', reason: true });
    if (reason === undefined) return;
    try {
      await api('POST', `/admin/users/${userId}/webhook-deliveries/${delivery.id}/replay`, { reason });
      messages.replaceChildren(notice('ok', `Delivery #${delivery.id} is queued again.`));
      await pager.show();
    } catch (error) {
      messages.replaceChildren(notice('error', (error as Error).message));
    }
  }

  const pager = new Pager(results, async (cursor) => {
    const page = await api<PageOf<Delivery>>('GET', `/admin/users/${userId}/webhooks/${endpointId}/deliveries${query({ status: status.value, cursor, limit: 25 })}`);
    return {
      next: page.next_cursor,
      content: table<Delivery>([
        { label: 'Id', cell: (row) => `#${row.id}`, numeric: true },
        { label: 'Event', cell: (row) => h('div', {}, h('strong', {}, row.event_type), h('div', { class: 'muted small' }, row.event_id)) },
        { label: 'Status', cell: (row) => h('div', {}, badge(row.status), row.last_error ? h('div', { class: 'small muted clamp' }, row.last_error) : null) },
        { label: 'Attempts', cell: (row) => row.attempts, numeric: true },
        { label: 'Last answer', cell: (row) => (row.last_response_code ? `${row.last_response_code} in ${row.last_latency_ms} ms` : '—') },
        { label: 'Created', cell: (row) => time(row.created_at) },
        { label: '', cell: (row) => h('div', { class: 'row-actions' },
          h('button', { type: 'button', class: 'secondary small', onclick: () => void showAttempts(row) }, 'Attempts'),
          canReplay && FINISHED.includes(row.status) ? h('button', { type: 'button', class: 'primary small', onclick: () => void replay(row) }, 'Replay…') : null) },
      ], page.data, 'No deliveries match.'),
    };
  });

  void fill(summary, async () => {
    const { data } = await api<{ data: Endpoint[] }>('GET', `/admin/users/${userId}/webhooks`);
    const endpoint = data.find((entry) => entry.id === endpointId);
    if (!endpoint) return notice('error', `User #${userId} has no webhook endpoint #${endpointId}.`);
    return card('Endpoint', facts([
      ['URL', h('strong', {}, endpoint.url)], ['Events', endpoint.event_types.length > 0 ? endpoint.event_types.join(', ') : 'all'],
      ['State', endpoint.enabled ? badge(endpoint.failing_since ? 'failing' : 'active') : badge('disabled')], ['Created', time(endpoint.created_at)],
    ]));
  });
  status.addEventListener('change', () => {
    history.replaceState(null, '', `${location.pathname}${query({ status: status.value })}`);
    replaceChildren(attempts);
    void pager.first();
  });
  void pager.first();
  return h('div', {}, pageHeader(`Webhook endpoint #${endpointId}`, `Of user #${userId}: what was sent, what came back, and replays.`, link(`/users/${userId}`, '← User')),
    messages, summary, card('Deliveries', h('div', { class: 'filters' }, field('Status', status)), results), attempts);
}
