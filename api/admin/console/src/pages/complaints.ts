// The complaints queue: open ones first, each resolved or dismissed with a reason.
import { api, query, type PageOf } from '../api.js';
import { h } from '../dom.js';
import type { PageContext } from '../router.js';
import { badge, card, confirmAction, field, link, notice, pageHeader, Pager, select, table, time } from '../ui.js';

interface ComplaintRow {
  id: number;
  reporter_id: number;
  listing_id: number | null;
  reported_user_id: number | null;
  reason: string;
  details: string | null;
  status: string;
  created_at: string;
  resolved_at: string | null;
  assigned_to: string | null;
}

export function complaintsPage({ query: params, staff }: PageContext): HTMLElement {
  const status = select('status', [['open', 'Open'], ['reviewing', 'In review'], ['resolved', 'Resolved'], ['dismissed', 'Dismissed'], ['', 'All']], params.get('status') ?? 'open');
  const messages = h('div', { class: 'messages' });
  const results = h('div');

  async function close(complaint: ComplaintRow, verb: 'resolve' | 'dismiss') {
    const reason = await confirmAction({
      title: `${verb === 'resolve' ? 'Resolve' : 'Dismiss'} complaint #${complaint.id}?`,
      body: verb === 'resolve' ? 'The complaint is closed as acted upon.' : 'The complaint is closed with no action taken.',
      confirmLabel: verb === 'resolve' ? 'Resolve' : 'Dismiss', reason: true,
    });
    if (reason === undefined) return;
    try {
      await api('POST', `/admin/complaints/${complaint.id}/${verb}`, { reason });
      messages.replaceChildren(notice('ok', `Complaint #${complaint.id} ${verb === 'resolve' ? 'resolved' : 'dismissed'}.`));
      await pager.show();
    } catch (error) {
      messages.replaceChildren(notice('error', (error as Error).message));
    }
  }

  async function take(complaint: ComplaintRow) {
    try {
      await api('POST', `/admin/complaints/${complaint.id}/assign`, {});
      messages.replaceChildren(notice('ok', `Complaint #${complaint.id} is yours; it is now in review.`));
      await pager.show();
    } catch (error) {
      messages.replaceChildren(notice('error', (error as Error).message));
    }
  }

  const pager = new Pager(results, async (cursor) => {
    const page = await api<PageOf<ComplaintRow>>('GET', `/admin/complaints${query({ status: status.value, cursor, limit: 25 })}`);
    return {
      next: page.next_cursor,
      content: table<ComplaintRow>([
        { label: 'Id', cell: (row) => `#${row.id}`, numeric: true },
        { label: 'Filed', cell: (row) => time(row.created_at) },
        { label: 'About', cell: (row) => h('div', {},
          row.listing_id ? h('div', {}, link(`/listings?q=${row.listing_id}`, `Listing #${row.listing_id}`)) : null,
          row.reported_user_id ? h('div', {}, link(`/users/${row.reported_user_id}`, `User #${row.reported_user_id}`)) : null) },
        { label: 'Reason', cell: (row) => h('div', {}, badge(row.reason), row.details ? h('div', { class: 'muted small clamp' }, row.details) : null) },
        { label: 'Reporter', cell: (row) => link(`/users/${row.reporter_id}`, `User #${row.reporter_id}`) },
        { label: 'Status', cell: (row) => badge(row.status) },
        { label: 'Assigned', cell: (row) => row.assigned_to ?? h('span', { class: 'muted' }, 'nobody') },
        { label: '', cell: (row) => row.status === 'open' || row.status === 'reviewing' ? h('div', { class: 'row-actions' },
          row.assigned_to !== staff.username ? h('button', { type: 'button', class: 'secondary small', onclick: () => void take(row) }, 'Take') : null,
          h('button', { type: 'button', class: 'primary small', onclick: () => void close(row, 'resolve') }, 'Resolve…'),
          h('button', { type: 'button', class: 'secondary small', onclick: () => void close(row, 'dismiss') }, 'Dismiss…')) : time(row.resolved_at) },
      ], page.data, status.value === 'open' ? 'The queue is empty.' : 'No complaint matches.'),
    };
  });
  status.addEventListener('change', () => {
    history.replaceState(null, '', `/complaints${query({ status: status.value })}`);
    void pager.first();
  });
  void pager.first();
  return h('div', {}, pageHeader('Complaints', 'What users reported, newest first. Closing one asks why.'), messages, card(null, h('div', { class: 'filters' }, field('Status', status)), results));
}
