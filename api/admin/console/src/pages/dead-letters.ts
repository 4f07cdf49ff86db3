// A consumer group's dead letters: what failed, why, and replaying them once the cause is fixed.
import { api } from '../api.js';
import { h } from '../dom.js';
import type { PageContext } from '../router.js';
import { badge, card, confirmAction, fill, link, notice, pageHeader, table, time } from '../ui.js';

interface Letter {
  failed_at: string;
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  error_code: string;
  error: string;
  retriable: boolean;
  attempts: number;
  value: string | null;
}

/** The changed row's table and id, read from the event, rather than the event itself. */
function summary(letter: Letter): string {
  const table = letter.topic.split('.').slice(-1)[0] ?? letter.topic;
  return `${table} ${letter.key ?? ''}`.trim();
}

export function deadLettersPage({ params }: PageContext): HTMLElement {
  const group = params.group!;
  const messages = h('div', { class: 'messages' });
  const body = h('div');
  let count = 0;
  const replay = h('button', { type: 'button', class: 'primary', disabled: true, onclick: () => void replayAll() }, 'Replay all…');

  const load = () => fill(body, async () => {
    const result = await api<{ count: number; topic: string; data: Letter[] }>('GET', `/admin/dlq/${encodeURIComponent(group)}?max=500`);
    count = result.count;
    replay.disabled = count === 0;
    return card(`${result.count} dead letter${result.count === 1 ? '' : 's'} in ${result.topic}`, table<Letter>([
      { label: 'Failed', cell: (row) => time(row.failed_at) },
      { label: 'Change', cell: (row) => h('div', {}, h('strong', {}, summary(row)), h('div', { class: 'muted small' }, `${row.topic} · partition ${row.partition} · offset ${row.offset}`)) },
      { label: 'Error', cell: (row) => h('div', {}, badge(row.error_code || 'error'), h('div', { class: 'small clamp' }, row.error)) },
      { label: 'Attempts', cell: (row) => row.attempts, numeric: true },
      { label: 'Retriable', cell: (row) => badge(row.retriable ? 'yes' : 'no') },
    ], result.data, 'No dead letters: every message reached the sink.'));
  });

  async function replayAll() {
    const reason = await confirmAction({
      title: `Replay ${count} dead letter${count === 1 ? '' : 's'}?`, body: `They go back to the topics they came from and ${group} processes them again. Do this once the cause is fixed.`,
      confirmLabel: 'Replay', reason: true, reasonRequired: false,
    });
    if (reason === undefined) return;
    try {
      const result = await api<{ replayed: number }>('POST', `/admin/dlq/${encodeURIComponent(group)}/replay`, reason ? { reason } : {});
      messages.replaceChildren(notice('ok', `Replayed ${result.replayed} dead letter${result.replayed === 1 ? '' : 's'} to ${group}.`));
      await load();
    } catch (error) {
      messages.replaceChildren(notice('error', (error as Error).message));
    }
  }

  void load();
  return h('div', {}, pageHeader(`Dead letters: ${group}`, 'Messages this consumer group gave up on, with the error each one hit.', link('/pipeline', '← Pipeline'), replay), messages, body);
}
