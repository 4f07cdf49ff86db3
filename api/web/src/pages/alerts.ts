// Alerts: the saved searches whose new matches are emailed, each with its matches so far, a
// pause/resume switch and delete.
import '../alerts.css';
import type { Page } from '../app.js';
import { h, replaceChildren } from '../dom.js';
import { requireSession } from '../login-redirect.js';
import { savedSearches, type SavedSearch } from '../saved-searches.js';
import { pathOf, stateFromQuery } from '../search-state.js';

export const alertsPage: Page = {
  title: 'Alerts',
  async render(context) {
    if (!requireSession(context)) return h('p', {}, 'Log in to see your alerts.');
    const { app } = context;
    const { data } = await savedSearches.list(app, context.signal);
    const heading = h('h1', {}, 'Alerts');
    const intro = h('p', {}, 'We email you when a new listing matches one of your saved searches (at most one email per search every 15 minutes). Save a search with “Alert me” on its results.');
    const list = h('ul', { class: 'alerts', 'data-testid': 'alerts' });
    const problem = h('p', { class: 'error', role: 'alert' });
    const empty = h('p', { 'data-testid': 'no-alerts' }, 'No saved searches yet. ', h('a', { href: '/' }, 'Search'), ', then choose “Alert me”.');

    function refresh(items: SavedSearch[]): void {
      replaceChildren(list, ...items.map(item));
      list.hidden = items.length === 0;
      empty.hidden = items.length > 0;
    }

    function item(search: SavedSearch): HTMLElement {
      const state = h('span', { class: search.alerts_enabled ? 'badge' : 'badge muted' }, search.alerts_enabled ? 'Emails on' : 'Paused');
      const toggle = h('button', { type: 'button', class: 'secondary' }, search.alerts_enabled ? 'Pause' : 'Resume');
      const remove = h('button', { type: 'button', class: 'secondary' }, 'Delete');
      const label = search.description;
      toggle.setAttribute('aria-label', `${search.alerts_enabled ? 'Pause' : 'Resume'} alerts for ${label}`);
      remove.setAttribute('aria-label', `Delete the alert for ${label}`);
      toggle.addEventListener('click', async () => {
        toggle.disabled = true;
        try {
          const changed = await savedSearches.setAlerts(app, search.id, !search.alerts_enabled);
          element.replaceWith(item(changed));
          problem.textContent = '';
        } catch (error) {
          problem.textContent = (error as Error).message;
          toggle.disabled = false;
        }
      });
      remove.addEventListener('click', async () => {
        remove.disabled = true;
        try {
          await savedSearches.remove(app, search.id);
          element.remove();
          if (list.children.length === 0) refresh([]);
          problem.textContent = '';
        } catch (error) {
          problem.textContent = (error as Error).message;
          remove.disabled = false;
        }
      });
      const results = pathOf({ ...stateFromQuery(new URLSearchParams()), q: search.q ?? '', category: search.category ?? '', country: search.country ?? '', city: search.city ?? '',
        min: search.min_price === null ? '' : String(search.min_price / 100), max: search.max_price === null ? '' : String(search.max_price / 100),
        near: search.near ?? '', within: search.near && search.within_km !== null ? String(search.within_km) : '' });
      const matches = search.matches === 1 ? '1 match so far' : `${search.matches} matches so far`;
      const element = h('li', { class: 'alert-item' },
        h('div', { class: 'alert-what' }, h('a', { href: results }, label), ' ', state),
        h('p', { class: 'muted' }, matches),
        h('div', { class: 'alert-actions' }, toggle, remove));
      return element;
    }

    refresh(data);
    return h('section', { class: 'alerts-page' }, heading, intro, problem, list, empty);
  },
};
