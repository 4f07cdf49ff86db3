// Backups: what there is, a check of one's files, and the command that restores it.
import { api } from '../api.js';
import { h } from '../dom.js';
import type { PageContext } from '../router.js';
import { badge, card, fill, notice, pageHeader, table, time } from '../ui.js';

interface Backup {
  id: string; created_at: string; database: string; bytes: number; tables: number; rows: number; binlog: { file: string; pos: number };
  verified_at: string | null; restore: string;
}

const size = (bytes: number) => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`);

export function backupsPage(_context: PageContext): HTMLElement {
  const messages = h('div', { class: 'messages' });
  const body = h('div');

  async function verify(backup: Backup) {
    messages.replaceChildren(notice('info', `Checking backup ${backup.id}…`));
    try {
      const result = await api<{ checked: string; full_check: string }>('POST', `/admin/backups/${backup.id}/verify`);
      messages.replaceChildren(notice('ok', `Backup ${backup.id} is intact: ${result.checked}. For a full restore test: ${result.full_check}`));
    } catch (error) {
      messages.replaceChildren(notice('error', (error as Error).message));
    }
  }

  void fill(body, async () => {
    const list = await api<{ dir: string; data: Backup[] }>('GET', '/admin/backups');
    return h('div', {},
      card(`Backups in ${list.dir}`, table<Backup>([
        { label: 'Backup', cell: (row) => h('strong', {}, row.id) },
        { label: 'Taken', cell: (row) => time(row.created_at) },
        { label: 'Size', cell: (row) => size(row.bytes), numeric: true },
        { label: 'Tables', cell: (row) => row.tables, numeric: true },
        { label: 'Rows', cell: (row) => row.rows.toLocaleString('en-GB'), numeric: true },
        { label: 'Binlog from', cell: (row) => h('code', {}, `${row.binlog.file}:${row.binlog.pos}`) },
        { label: 'Restore-tested', cell: (row) => (row.verified_at ? h('span', {}, badge('yes'), ' ', time(row.verified_at)) : badge('no')) },
        { label: '', cell: (row) => h('button', { type: 'button', class: 'secondary small', onclick: () => void verify(row) }, 'Check files') },
      ], list.data, 'No backups yet: the backups.nightly job makes one each night (or npx steveslist backup create).')),
      card('Restoring',
        h('p', {}, 'Restoring is a command run on the server. By default it restores into a new private MariaDB under .data/restores, left running to look at; --into names an empty database instead; it never writes over the live database or one with tables unless --force.'),
        h('pre', { class: 'message-text' }, [
          '# the newest backup',
          'npx steveslist backup restore',
          '# this backup',
          list.data[0] ? list.data[0].restore : 'npx steveslist backup restore <backup id>',
          '# to a point in time: the newest backup before it, then the archived binlog up to it',
          'npx steveslist backup restore --at 2026-11-24T14:05:00Z',
          '# into an empty database on another server',
          'npx steveslist backup restore --into mysql://user:pass@host:3306/steveslist_check',
        ].join('\n')),
        h('p', { class: 'muted small' }, 'See the README’s “Backups and point-in-time recovery” for what each step does.')));
  });
  return h('div', {}, pageHeader('Backups', 'Nightly consistent backups with archived binlogs; each is restore-tested into a scratch server.'), messages, body);
}
