// The email queue by status, one email with its status timeline, and sending a dead one again.
import { api, query, type PageOf } from '../api.js';
import { h } from '../dom.js';
import type { PageContext } from '../router.js';
import { badge, card, confirmAction, facts, field, fill, link, notice, pageHeader, Pager, select, table, time } from '../ui.js';

interface EmailRow {
  id: number; user_id: number | null; template: string; to_address: string; subject: string; status: string; attempts: number;
  next_attempt_at: string | null; last_error: string | null; created_at: string; sent_at: string | null;
}

interface EmailDetails extends EmailRow {
  user_name: string | null;
  smtp_response: string | null;
  rendered: { subject: string; text: string; html: boolean; attachments: string[] };
  timeline: { at: string; status: string; note: string; attempt?: number; error?: string | null; smtp_response?: string | null; admin?: string; reason?: string | null }[];
}

export function emailsPage({ query: params }: PageContext): HTMLElement {
  const status = select('status', [['', 'Any status'], ['dead', 'Dead'], ['failed_retrying', 'Retrying'], ['queued', 'Queued'], ['sending', 'Sending'], ['sent', 'Sent']], params.get('status') ?? '');
  const to = h('input', { name: 'to', type: 'search', placeholder: 'Recipient address', value: params.get('to') ?? '' });
  const results = h('div');
  const pager = new Pager(results, async (cursor) => {
    const page = await api<PageOf<EmailRow>>('GET', `/admin/emails${query({ status: status.value, to: to.value.trim(), cursor, limit: 25 })}`);
    return {
      next: page.next_cursor,
      content: table<EmailRow>([
        { label: 'Id', cell: (row) => link(`/emails/${row.id}`, `#${row.id}`), numeric: true },
        { label: 'To', cell: (row) => h('div', {}, row.to_address, row.user_id ? h('div', { class: 'small' }, link(`/users/${row.user_id}`, `user #${row.user_id}`)) : null) },
        { label: 'Subject', cell: (row) => h('div', {}, link(`/emails/${row.id}`, row.subject), h('div', { class: 'muted small' }, row.template)) },
        { label: 'Status', cell: (row) => h('div', {}, badge(row.status), row.last_error && row.status !== 'sent' ? h('div', { class: 'small muted clamp' }, row.last_error) : null) },
        { label: 'Attempts', cell: (row) => row.attempts, numeric: true },
        { label: 'Queued', cell: (row) => time(row.created_at) },
      ], page.data, 'No email matches.'),
    };
  });
  const form = h('form', { class: 'filters', role: 'search' }, field('Status', status), field('Recipient', to), h('button', { type: 'submit', class: 'primary' }, 'Filter'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    history.replaceState(null, '', `/emails${query({ status: status.value, to: to.value.trim() })}`);
    void pager.first();
  });
  status.addEventListener('change', () => form.requestSubmit());
  void pager.first();
  return h('div', {}, pageHeader('Email queue', 'Every email the platform sends, with what the mail server answered. Dead ones can be sent again.'), card(null, form, results));
}

export function emailPage({ params }: PageContext): HTMLElement {
  const id = Number(params.id);
  const messages = h('div', { class: 'messages' });
  const body = h('div');
  const load = () => fill(body, async () => {
    const email = await api<EmailDetails>('GET', `/admin/emails/${id}`);
    const retry = email.status === 'dead' ? h('button', { type: 'button', class: 'primary', onclick: async () => {
      const reason = await confirmAction({ title: `Send email #${id} again?`, body: `It goes back in the queue for ${email.to_address}.`, confirmLabel: 'Send again', reason: true });
      if (reason === undefined) return;
      try {
        await api('POST', `/admin/emails/${id}/retry`, { reason });
        messages.replaceChildren(notice('ok', `Email #${id} is queued again.`));
        await load();
      } catch (error) {
        messages.replaceChildren(notice('error', (error as Error).message));
      }
    } }, 'Send again…') : null;
    return h('div', { class: 'stack' },
      h('div', { class: 'grid-2' },
        card('Email', facts([
          ['Subject', h('strong', {}, email.subject)], ['To', email.to_address], ['User', email.user_id ? link(`/users/${email.user_id}`, email.user_name ?? `#${email.user_id}`) : '—'],
          ['Template', email.template], ['Status', badge(email.status)], ['Attempts', String(email.attempts)], ['Sent', time(email.sent_at)],
          ['Mail server said', email.smtp_response ?? '—'],
        ]), h('div', { class: 'actions' }, retry)),
        card('Status timeline', h('ol', { class: 'timeline' }, ...email.timeline.map((step) => h('li', {},
          h('div', { class: 'timeline-head' }, badge(step.status), time(step.at)),
          h('div', {}, step.note),
          step.error ? h('div', { class: 'small muted' }, step.error) : null,
          step.admin ? h('div', { class: 'small' }, `by ${step.admin}${step.reason ? `: ${step.reason}` : ''}`) : null))))),
      card('Message', h('pre', { class: 'message-text' }, email.rendered.text)));
  });
  void load();
  return h('div', {}, pageHeader(`Email #${id}`, undefined, link('/emails', '← Email queue')), messages, body);
}
