// The SMS log by status, and one SMS with the delivery reports Twilio sent for it.
import { api, query, type PageOf } from '../api.js';
import { h } from '../dom.js';
import type { PageContext } from '../router.js';
import { badge, card, facts, field, fill, link, pageHeader, Pager, select, table, time } from '../ui.js';

interface SmsRow {
  id: number; user_id: number | null; kind: string; to_number: string; status: string; attempts: number; twilio_sid: string | null;
  error_code: number | null; last_error: string | null; created_at: string; sent_at: string | null;
}

interface SmsDetails extends SmsRow {
  body: string;
  statuses: { status: string; error_code: number | null; received_at: string }[];
}

const KINDS: Record<string, string> = {
  verification: 'Verification code', order_placed_buyer: 'Order (buyer)', order_placed_seller: 'Order (seller)', message_received: 'New message',
};

export function smsListPage({ query: params }: PageContext): HTMLElement {
  const status = select('status', [['', 'Any status'], ['dead', 'Dead'], ['failed_retrying', 'Retrying'], ['rejected', 'Refused'], ['queued', 'Queued at Twilio'],
    ['sent', 'Sent'], ['delivered', 'Delivered'], ['undelivered', 'Undelivered'], ['failed', 'Failed']], params.get('status') ?? '');
  const to = h('input', { name: 'to', type: 'search', placeholder: '+447700900123', value: params.get('to') ?? '' });
  const results = h('div');
  const pager = new Pager(results, async (cursor) => {
    const page = await api<PageOf<SmsRow>>('GET', `/admin/sms${query({ status: status.value, to: to.value.replace(/[\s()-]/g, ''), user_id: params.get('user_id'), cursor, limit: 25 })}`);
    return {
      next: page.next_cursor,
      content: table<SmsRow>([
        { label: 'Id', cell: (row) => link(`/sms/${row.id}`, `#${row.id}`), numeric: true },
        { label: 'To', cell: (row) => h('div', {}, row.to_number, row.user_id ? h('div', { class: 'small' }, link(`/users/${row.user_id}`, `user #${row.user_id}`)) : null) },
        { label: 'Kind', cell: (row) => link(`/sms/${row.id}`, KINDS[row.kind] ?? row.kind) },
        { label: 'Status', cell: (row) => h('div', {}, badge(row.status), row.error_code ? h('div', { class: 'small muted' }, `error ${row.error_code}`) : null,
          row.last_error && ['dead', 'rejected', 'failed_retrying'].includes(row.status) ? h('div', { class: 'small muted clamp' }, row.last_error) : null) },
        { label: 'Attempts', cell: (row) => row.attempts, numeric: true },
        { label: 'Logged', cell: (row) => time(row.created_at) },
      ], page.data, 'No SMS matches.'),
    };
  });
  const form = h('form', { class: 'filters', role: 'search' }, field('Status', status), field('Number', to), h('button', { type: 'submit', class: 'primary' }, 'Filter'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    history.replaceState(null, '', `/sms${query({ status: status.value, to: to.value.trim() })}`);
    void pager.first();
  });
  status.addEventListener('change', () => form.requestSubmit());
  void pager.first();
  return h('div', {}, pageHeader('SMS log', 'Every text the platform sends through Twilio, with our attempts and the delivery reports Twilio sent back.'), card(null, form, results));
}

export function smsPage({ params }: PageContext): HTMLElement {
  const id = Number(params.id);
  const body = h('div');
  void fill(body, async () => {
    const sms = await api<SmsDetails>('GET', `/admin/sms/${id}`);
    const reports = sms.statuses.length === 0
      ? h('p', { class: 'muted' }, 'No delivery report from Twilio yet.')
      : h('ol', { class: 'timeline' }, ...sms.statuses.map((report) => h('li', {},
        h('div', { class: 'timeline-head' }, badge(report.status), time(report.received_at)),
        report.error_code ? h('div', { class: 'small muted' }, `Twilio error ${report.error_code}`) : null)));
    return h('div', { class: 'stack' },
      h('div', { class: 'grid-2' },
        card('SMS', facts([
          ['To', sms.to_number], ['User', sms.user_id ? link(`/users/${sms.user_id}`, `#${sms.user_id}`) : '—'], ['Kind', KINDS[sms.kind] ?? sms.kind],
          ['Status', badge(sms.status)], ['Attempts', String(sms.attempts)], ['Accepted by Twilio', time(sms.sent_at)], ['Twilio sid', sms.twilio_sid ?? '—'],
          ['Error code', sms.error_code === null ? '—' : String(sms.error_code)], ['Last error', sms.last_error ?? '—'],
        ])),
        card('Delivery reports', reports)),
      card('Text', h('pre', { class: 'message-text' }, sms.body)));
  });
  return h('div', {}, pageHeader(`SMS #${id}`, undefined, link('/sms', '← SMS log')), body);
}
