// Staff accounts and their roles (admins only; accounts are made with steveslist admin add-user).
import { api } from '../api.js';
import { h } from '../dom.js';
import type { PageContext } from '../router.js';
import { badge, card, fill, link, pageHeader, table, time } from '../ui.js';

interface Account {
  id: number; username: string; role: string; totp: boolean; locked_until: string | null; disabled_at: string | null; created_at: string;
}

export function accountsPage(_context: PageContext): HTMLElement {
  const body = h('div');
  void fill(body, async () => table<Account>([
    { label: 'Username', cell: (row) => h('strong', {}, row.username) },
    { label: 'Role', cell: (row) => badge(row.role) },
    { label: 'Second factor', cell: (row) => (row.totp ? badge('TOTP') : h('span', { class: 'muted' }, 'password only')) },
    { label: 'State', cell: (row) => (row.disabled_at ? badge('disabled') : row.locked_until ? h('span', {}, badge('locked'), ' until ', time(row.locked_until)) : badge('active')) },
    { label: 'Since', cell: (row) => time(row.created_at) },
    { label: '', cell: (row) => link(`/audit?admin=${encodeURIComponent(row.username)}`, 'Activity →') },
  ], (await api<{ data: Account[] }>('GET', '/admin/accounts')).data));
  return h('div', {}, pageHeader('Staff accounts', 'Who can use this console, with which role. New accounts: steveslist admin add-user <name> --role <role> [--totp].'), card(null, body));
}
