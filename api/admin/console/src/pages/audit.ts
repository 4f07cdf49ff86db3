// The audit trail: every staff action, log-in and query, filterable by who, what, target and time.
import { AUDIT_ACTIONS, AUDIT_TARGET_TYPES } from '../../../../../marketplace/moderation/audit-vocabulary.js';
import { api, query, type PageOf } from '../api.js';
import { h } from '../dom.js';
import type { PageContext } from '../router.js';
import { badge, card, field, link, pageHeader, Pager, select, table, time } from '../ui.js';

interface AuditRow {
  id: number;
  admin: string;
  action: string;
  target_type: string;
  target_id: number | null;
  reason: string | null;
  details: Record<string, unknown> | null;
  created_at: string;
}

const ACTIONS: readonly string[] = AUDIT_ACTIONS;
const TARGETS: readonly string[] = AUDIT_TARGET_TYPES;

function targetLink(row: AuditRow) {
  if (row.target_id === null) {
    const named = row.details?.group ?? row.details?.job;
    return named ? `${row.target_type.replace('_', ' ')} ${String(named)}` : row.target_type.replace('_', ' ');
  }
  const label = `${row.target_type.replace('_', ' ')} #${row.target_id}`;
  if (row.target_type === 'user') return link(`/users/${row.target_id}`, label);
  if (row.target_type === 'listing') return link(`/listings?q=${row.target_id}`, label);
  if (row.target_type === 'email') return link(`/emails/${row.target_id}`, label);
  return label;
}

/** Details as short key: value lines, never a JSON blob. */
function detailLines(details: Record<string, unknown> | null) {
  if (!details) return null;
  const entries = Object.entries(details).filter(([, value]) => value !== undefined && value !== null);
  return h('ul', { class: 'details' }, ...entries.map(([key, value]) => h('li', {}, h('span', { class: 'muted' }, `${key.replace(/_/g, ' ')}: `),
    typeof value === 'object' ? Object.entries(value as object).map(([k, v]) => `${k} ${String(v)}`).join(', ') : String(value))));
}

function localInput(iso: string | null): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

export function auditPage({ query: params }: PageContext): HTMLElement {
  const admin = h('input', { name: 'admin', placeholder: 'Username', value: params.get('admin') ?? '', size: 12 });
  const action = select('action', [['', 'Any action'], ...ACTIONS.map((name): [string, string] => [name, name])], params.get('action') ?? '');
  const targetType = select('target_type', [['', 'Any target'], ...TARGETS.map((name): [string, string] => [name, name.replace('_', ' ')])], params.get('target_type') ?? '');
  const targetId = h('input', { name: 'target_id', inputmode: 'numeric', placeholder: 'Id', value: params.get('target_id') ?? '', size: 7 });
  const since = h('input', { name: 'since', type: 'datetime-local', value: localInput(params.get('since')) });
  const until = h('input', { name: 'until', type: 'datetime-local', value: localInput(params.get('until')) });
  const results = h('div');
  const iso = (input: HTMLInputElement) => (input.value ? new Date(input.value).toISOString() : undefined);
  const filters = () => ({ admin: admin.value.trim(), action: action.value, target_type: targetType.value, target_id: targetId.value.trim(), since: iso(since), until: iso(until) });

  const pager = new Pager(results, async (cursor) => {
    const page = await api<PageOf<AuditRow>>('GET', `/admin/audit${query({ ...filters(), cursor, limit: 50 })}`);
    return {
      next: page.next_cursor,
      content: table<AuditRow>([
        { label: 'When', cell: (row) => time(row.created_at) },
        { label: 'Staff', cell: (row) => h('a', { href: `/audit?admin=${encodeURIComponent(row.admin)}`, 'data-nav': true }, row.admin) },
        { label: 'Action', cell: (row) => badge(row.action) },
        { label: 'Target', cell: targetLink },
        { label: 'Reason', cell: (row) => row.reason ?? h('span', { class: 'muted' }, '—') },
        { label: 'Details', cell: (row) => detailLines(row.details) },
      ], page.data, 'No action matches these filters.'),
    };
  });
  const form = h('form', { class: 'filters', role: 'search' }, field('Staff', admin), field('Action', action), field('Target', targetType), field('Target id', targetId),
    field('From', since), field('Until', until), h('button', { type: 'submit', class: 'primary' }, 'Filter'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    history.replaceState(null, '', `/audit${query(filters())}`);
    void pager.first();
  });
  void pager.first();
  return h('div', {}, pageHeader('Audit trail', 'Everything staff did, newest first: changes with their reasons, log-ins, lookups of personal data, queries.'), card(null, form, results));
}
