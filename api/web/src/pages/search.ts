// Results as you type: each keystroke restarts a short wait, then one search; an answer to an
// older query is dropped, so results never flicker back to what was typed before.
import type { SearchResult } from '../../../../client/index.js';
import type { Page } from '../app.js';
import { h, replaceChildren } from '../dom.js';
import { messageOf } from '../errors.js';
import { highlighted } from '../highlight.js';
import { formatPrice } from '../money.js';

const DEBOUNCE_MS = 200;

export const searchPage: Page = {
  title: 'Search',
  render({ app, query, signal }) {
    const input = h('input', { id: 'search-q', type: 'search', name: 'q', autocomplete: 'off', 'data-autofocus': true, placeholder: 'bike, sofa, tv…' });
    input.value = query.get('q') ?? '';
    const status = h('p', { class: 'status', role: 'status' });
    const results = h('ol', { class: 'results', 'data-testid': 'search-results', 'aria-busy': 'false', 'aria-label': 'Results' });
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight: AbortController | undefined;

    async function search(): Promise<void> {
      clearTimeout(timer);
      if (signal.aborted) return;
      inFlight?.abort();
      const controller = new AbortController();
      inFlight = controller;
      const q = input.value.trim();
      // The query in the address, so reload, back and shared links show the same results.
      history.replaceState(null, '', q ? `/?q=${encodeURIComponent(q)}` : '/');
      results.setAttribute('aria-busy', 'true');
      try {
        const answer = await app.api().search({ q: q || undefined, sort: q ? 'relevance' : 'newest', per_page: 20 }, { signal: controller.signal });
        if (controller.signal.aborted) return;
        status.textContent = q ? `${answer.total} ${answer.total === 1 ? 'listing' : 'listings'} for “${q}”` : 'Newest listings';
        replaceChildren(results, ...hitItems(answer));
        results.dataset.query = q;
      } catch (error) {
        if (controller.signal.aborted) return;
        status.textContent = messageOf(error);
        results.replaceChildren();
        delete results.dataset.query;
      }
      results.setAttribute('aria-busy', 'false');
    }

    input.addEventListener('input', () => {
      // Busy from the first keystroke: what is shown no longer answers what is typed.
      results.setAttribute('aria-busy', 'true');
      clearTimeout(timer);
      timer = setTimeout(() => void search(), DEBOUNCE_MS);
    });
    const form = h('form', { role: 'search', class: 'search-form', onsubmit: (event: Event) => {
      event.preventDefault();
      void search();
    } },
    h('label', { for: 'search-q' }, 'Search listings'),
    h('div', { class: 'search-row' }, input, h('button', { type: 'submit' }, 'Search')));
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      inFlight?.abort();
    });
    void search();
    return h('section', { class: 'search' }, h('h1', {}, 'Find it on Steveslist'), form, status, results);
  },
};

function hitItems(answer: SearchResult): HTMLElement[] {
  return answer.hits.map((hit) => h('li', { class: 'hit' },
    h('a', { href: `/listings/${hit.id}`, class: 'hit-name' }, ...(hit.highlight.name ? highlighted(hit.highlight.name) : [hit.name])),
    h('span', { class: 'price' }, formatPrice(hit.price_amount, hit.price_currency)),
    h('span', { class: 'place' }, hit.city)));
}
