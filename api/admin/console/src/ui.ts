// The pieces every page is made of: tables, filters, paging, badges, the reason dialog, notices.
import { h, replaceChildren, type Child } from './dom.js';

export interface Column<T> {
  label: string;
  cell: (row: T) => Child;
  /** Right-aligned figures. */
  numeric?: boolean;
}

export function table<T>(columns: Column<T>[], rows: T[], empty = 'Nothing here.'): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('thead', {}, h('tr', {}, ...columns.map((column) => h('th', { class: column.numeric ? 'num' : undefined }, column.label)))),
      h('tbody', {}, ...rows.map((row) => h('tr', {}, ...columns.map((column) => h('td', { class: column.numeric ? 'num' : undefined }, column.cell(row))))))));
}

/** A readable local time, with the exact UTC time on hover. */
export function time(iso: string | null | undefined): Child {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const date = new Date(iso);
  return h('time', { datetime: iso, title: iso }, date.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }));
}

export function money(amount: number, currency: string): string {
  return new Intl.NumberFormat('en-GB', { style: 'currency', currency: currency.toUpperCase() }).format(amount / 100);
}

const TONES: Record<string, string> = {
  active: 'ok', open: 'warn', resolved: 'ok', dismissed: 'muted', removed: 'bad', suspended: 'bad', sent: 'ok', dead: 'bad', queued: 'warn', retrying: 'warn',
  healthy: 'ok', ok: 'ok', streaming: 'ok', snapshot: 'warn', degraded: 'bad', 'dead letters': 'bad', behind: 'warn', locked: 'bad', disabled: 'muted', yes: 'ok', no: 'muted',
  failing: 'bad', pending: 'warn', sending: 'warn',
  sold: 'muted', draft: 'muted', pending_review: 'warn', held: 'bad', flagged: 'warn', flag: 'warn', rate_limit: 'warn', suspend: 'bad', succeeded: 'ok', failed: 'bad', running: 'warn', refunded: 'muted', paid: 'ok', placed: 'warn', true: 'ok', false: 'bad',
};

export function badge(text: string): HTMLElement {
  return h('span', { class: `badge ${TONES[text] ?? 'neutral'}` }, text.replace(/_/g, ' '));
}

export function link(href: string, text: Child): HTMLAnchorElement {
  return h('a', { href, 'data-nav': true }, text);
}

export function pageHeader(title: string, subtitle?: string, ...actions: Child[]): HTMLElement {
  return h('header', { class: 'page-header' }, h('div', {}, h('h1', {}, title), subtitle ? h('p', { class: 'subtitle' }, subtitle) : null), h('div', { class: 'actions' }, ...actions));
}

export function card(title: string | null, ...children: Child[]): HTMLElement {
  return h('section', { class: 'card' }, title ? h('h2', {}, title) : null, ...children);
}

export function facts(pairs: [string, Child][]): HTMLElement {
  return h('dl', { class: 'facts' }, ...pairs.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value ?? '—')]));
}

/** A notice above the content: what an action did, or why it failed. */
export function notice(kind: 'ok' | 'error' | 'info', text: string): HTMLElement {
  return h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/** A labelled input for filter bars and forms. */
export function field(label: string, control: HTMLElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', {}, label), control);
}

export function select(name: string, options: [string, string][], value = ''): HTMLSelectElement {
  const element = h('select', { name }, ...options.map(([optionValue, text]) => h('option', { value: optionValue }, text)));
  element.value = value;
  return element;
}

/**
 * Cursor paging into a slot: the API gives the next page's cursor; the pager keeps the ones
 * behind so "Previous" works too.
 */
export class Pager {
  private cursors: (string | undefined)[] = [undefined];
  constructor(private readonly slot: HTMLElement, private readonly load: (cursor: string | undefined) => Promise<{ content: Child; next: string | null }>) {}

  /** Back to the first page (new filters) and show it. */
  async first(): Promise<void> {
    this.cursors = [undefined];
    await this.show();
  }

  async show(): Promise<void> {
    await fill(this.slot, async () => {
      const { content, next } = await this.load(this.cursors.at(-1));
      const page = this.cursors.length;
      const controls = h('nav', { class: 'pager', 'aria-label': 'Pages' },
        h('button', { type: 'button', class: 'secondary', disabled: page === 1, onclick: () => { this.cursors.pop(); void this.show(); } }, '← Previous'),
        h('span', { class: 'muted' }, `Page ${page}`),
        h('button', { type: 'button', class: 'secondary', disabled: next === null, onclick: () => { this.cursors.push(next!); void this.show(); } }, 'Next →'));
      return h('div', {}, content, controls);
    });
  }
}

export interface ConfirmOptions {
  title: string;
  /** What will happen, in a sentence. */
  body: string;
  confirmLabel: string;
  /** Ask for a reason (kept in the audit trail). */
  reason: boolean;
  reasonRequired?: boolean;
  destructive?: boolean;
}

/** A modal that confirms an action and asks why; answers the reason, or undefined when cancelled. */
export function confirmAction(options: ConfirmOptions): Promise<string | undefined> {
  return new Promise((resolve) => {
    const reason = h('textarea', { name: 'reason', rows: 3, maxlength: 1000, 'aria-required': String(options.reasonRequired !== false && options.reason), placeholder: 'Why? This is kept in the audit trail.' });
    const error = h('p', { class: 'field-error', role: 'alert' });
    const dialog = h('dialog', { class: 'confirm', 'aria-label': options.title });
    const close = (value: string | undefined) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    const form = h('form', { method: 'dialog' },
      h('h2', {}, options.title),
      h('p', {}, options.body),
      options.reason ? field(options.reasonRequired === false ? 'Reason (optional)' : 'Reason', reason) : null,
      error,
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => close(undefined) }, 'Cancel'),
        h('button', { type: 'submit', class: options.destructive ? 'danger' : 'primary' }, options.confirmLabel)));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = reason.value.trim();
      if (options.reason && options.reasonRequired !== false && text === '') {
        error.textContent = 'Say why: the reason is kept in the audit trail.';
        reason.focus();
        return;
      }
      close(text);
    });
    dialog.addEventListener('cancel', () => close(undefined));
    dialog.append(form);
    document.body.append(dialog);
    dialog.showModal();
    (options.reason ? reason : form.querySelector<HTMLButtonElement>('button[type=submit]'))?.focus();
  });
}

/** Replaces a slot's content with a loading line, then with what `build` gives, or the error. */
export async function fill(slot: HTMLElement, build: () => Promise<Child>): Promise<void> {
  replaceChildren(slot, h('p', { class: 'muted loading' }, 'Loading…'));
  try {
    replaceChildren(slot, await build());
  } catch (error) {
    replaceChildren(slot, notice('error', (error as Error).message));
  }
}
