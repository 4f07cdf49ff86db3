// "Alert me" on the search results: fills the results bar's `search-actions` slot on every search
// page, and saves the search as the address holds it (words, category, place, prices, distance).
import '../alerts.css';
import type { App } from '../app.js';
import { h, replaceChildren } from '../dom.js';
import { savedSearches, type SavedSearchInput } from '../saved-searches.js';
import { apiParams, stateFromQuery } from '../search-state.js';

const SLOT = '[data-slot="search-actions"]';

/** The current search as a saved search; undefined with a problem to show when it cannot be one. */
function currentSearch(): { input?: SavedSearchInput; problem?: string } {
  const parsed = apiParams(stateFromQuery(new URLSearchParams(location.search)));
  if (!parsed.ok) return { problem: parsed.message };
  const { q, category, country, city, min_price, max_price, near, within_km } = parsed.params;
  if (!q && !category && !country && !city && !near) return { problem: 'Type what you are looking for, or choose a category or a city, to get alerts.' };
  return { input: { q, category, country, city, min_price, max_price, near: near === undefined ? undefined : String(near), within_km } };
}

function fill(slot: HTMLElement, app: App): void {
  const button = h('button', { type: 'button', class: 'secondary', 'data-testid': 'alert-me' }, 'Alert me');
  const status = h('span', { class: 'alert-status', role: 'status' });
  button.addEventListener('click', async () => {
    if (!app.session.current) {
      app.navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
      return;
    }
    const { input, problem } = currentSearch();
    if (!input) {
      status.textContent = problem!;
      return;
    }
    button.disabled = true;
    try {
      await savedSearches.create(app, input);
      replaceChildren(status, 'Alert saved: we will email you new matches. ', h('a', { href: '/alerts' }, 'Manage alerts'));
    } catch (error) {
      status.textContent = (error as Error).message;
      button.disabled = false;
    }
  });
  slot.append(button, status);
  slot.dataset.filled = 'alerts';
}

/** Watches the page for the search page's slot and fills each new one once. */
export function installAlertButton(root: HTMLElement, app: App): void {
  const scan = () => {
    for (const slot of root.querySelectorAll<HTMLElement>(SLOT)) if (slot.dataset.filled !== 'alerts') fill(slot, app);
  };
  new MutationObserver(scan).observe(root, { childList: true, subtree: true });
  scan();
}
