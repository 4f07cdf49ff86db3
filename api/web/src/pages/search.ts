// Search with filters, sort and pages. Results come as you type: each keystroke restarts a short
// wait, then one search; an answer to an older search is dropped, so results never flicker back.
// The whole search lives in the address (search-state.ts), so it can be shared and reloaded.
import { ValidationError, type FacetCount, type FormOptions, type Place, type SearchParams, type SearchResult } from '../../../../client/index.js';
import type { App, Page } from '../app.js';
import { h, replaceChildren } from '../dom.js';
import { messageOf, withoutFieldPrefix } from '../errors.js';
import { formOptions, labelOf } from '../form-options.js';
import { highlighted } from '../highlight.js';
import { formatPrice } from '../money.js';
import { resultCount } from '../result-count.js';
import { apiParams, lastPage, pathOf, PER_PAGE, stateFromQuery, type SearchState } from '../search-state.js';

const DEBOUNCE_MS = 200;
/** Cities offered under the "near" box at once. */
const PLACE_SUGGESTIONS = 6;

type FacetName = 'category' | 'country' | 'city';

export const searchPage: Page = {
  title: 'Search',
  render({ app, query, signal }) {
    const state = stateFromQuery(query);
    let options: FormOptions | undefined;

    const input = h('input', { id: 'search-q', type: 'search', name: 'q', autocomplete: 'off', 'data-autofocus': true, placeholder: 'bike, sofa, tv…' });
    input.value = state.q;
    const selects = {
      category: h('select', { id: 'search-category', name: 'category' }),
      country: h('select', { id: 'search-country', name: 'country' }),
      city: h('select', { id: 'search-city', name: 'city' }),
    };
    const sort = h('select', { id: 'search-sort', name: 'sort' },
      h('option', { value: '' }, 'Best match'), h('option', { value: 'newest' }, 'Newest first'),
      h('option', { value: 'price_asc' }, 'Price: low to high'), h('option', { value: 'price_desc' }, 'Price: high to low'),
      h('option', { value: 'distance' }, 'Nearest first'));
    sort.value = state.sort;
    const min = h('input', { id: 'search-min', name: 'min', inputmode: 'decimal', autocomplete: 'off', placeholder: '0', 'aria-describedby': 'search-price-hint search-price-error' });
    const max = h('input', { id: 'search-max', name: 'max', inputmode: 'decimal', autocomplete: 'off', placeholder: 'any', 'aria-describedby': 'search-price-hint search-price-error' });
    min.value = state.min;
    max.value = state.max;
    const priceError = h('p', { id: 'search-price-error', class: 'error field-error', hidden: true });
    const within = h('input', { id: 'search-within', name: 'within', inputmode: 'numeric', autocomplete: 'off', placeholder: 'any', 'aria-describedby': 'search-near-error' });
    within.value = state.within;
    const near = h('input', {
      id: 'search-near', name: 'near', type: 'search', autocomplete: 'off', placeholder: 'a city', role: 'combobox',
      'aria-autocomplete': 'list', 'aria-controls': 'search-near-options', 'aria-expanded': 'false', 'aria-describedby': 'search-near-error',
    });
    near.value = state.near;
    const nearOptions = h('ul', { id: 'search-near-options', class: 'near-options', role: 'listbox', 'aria-label': 'Cities', hidden: true });
    const nearError = h('p', { id: 'search-near-error', class: 'error field-error', hidden: true });

    const status = h('p', { class: 'status', role: 'status', 'data-testid': 'search-status' });
    const results = h('ol', { class: 'results', 'data-testid': 'search-results', 'aria-busy': 'false', 'aria-label': 'Results' });
    const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of results' });
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight: AbortController | undefined;

    /** What the form shows, as a search; `page` starts over unless given. */
    function current(page = 1): SearchState {
      return {
        q: input.value.trim(), category: selects.category.value, country: selects.country.value, city: selects.city.value,
        min: min.value.trim(), max: max.value.trim(), near: near.value.trim(), within: within.value.trim(), sort: sort.value as SearchState['sort'], page,
      };
    }

    async function search(next: SearchState, how: 'push' | 'replace'): Promise<void> {
      clearTimeout(timer);
      if (signal.aborted) return;
      inFlight?.abort();
      const controller = new AbortController();
      inFlight = controller;
      Object.assign(state, next);
      // The search in the address, so reload, back and shared links show the same results.
      const path = pathOf(state);
      if (location.pathname + location.search !== path) history[how === 'push' ? 'pushState' : 'replaceState'](null, '', path);
      showPriceError(undefined);
      showNearError(undefined);
      const params = apiParams(state);
      if (!params.ok) {
        if (params.field === 'within') showNearError(params.message, within);
        else showPriceError(params.message, params.field === 'min' ? min : max);
        results.setAttribute('aria-busy', 'false');
        return;
      }
      results.setAttribute('aria-busy', 'true');
      try {
        const [answer, facets] = await Promise.all([
          app.api().search(params.params, { signal: controller.signal }),
          facetCounts(app, params.params, controller.signal),
          options ? undefined : formOptions(app).then((loaded) => { options = loaded; }, () => undefined),
        ]);
        if (controller.signal.aborted) return;
        showAnswer(answer, { ...answer.facets, ...facets });
      } catch (error) {
        if (controller.signal.aborted) return;
        status.textContent = messageOf(error);
        // A city the gazetteer does not know is said beside the box it was typed in, with what to do.
        if (error instanceof ValidationError && error.field === 'near') {
          status.textContent = `We do not know the city “${state.near}”. Type the start of its name and choose it from the list.`;
          showNearError(status.textContent, near);
        } else if (error instanceof ValidationError && error.field === 'within_km') {
          showNearError(withoutFieldPrefix(error.message, 'within_km'), within);
        }
        results.replaceChildren();
        pager.replaceChildren();
        delete results.dataset.query;
      }
      results.setAttribute('aria-busy', 'false');
    }

    function showAnswer(answer: SearchResult, facets: Record<FacetName, FacetCount[]>): void {
      const pages = lastPage(answer.total);
      const first = (state.page - 1) * PER_PAGE + 1;
      const count = resultCount(answer.total, answer.total_relation);
      const where = answer.near ? (state.within ? ` within ${state.within} km of ${placeName(answer.near)}` : ` near ${placeName(answer.near)}`) : '';
      const what = (state.q ? `${count} for “${state.q}”` : filtered(state) ? count : `Newest listings: ${count}`) + where;
      status.textContent = answer.hits.length === 0
        ? (answer.total === 0 ? `${what}. Try fewer words or filters.` : `${what}; this page is past the last one.`)
        : `${what} · ${first}–${first + answer.hits.length - 1} shown · page ${state.page} of ${pages}`;
      replaceChildren(results, ...answer.hits.map((hit) => hitItem(hit, options)));
      results.dataset.query = state.q;
      fillFacet(selects.category, 'Any category', facets.category, state.category, (value) => labelOf(options?.categories ?? [], value));
      fillFacet(selects.country, 'Any country', facets.country, state.country, (value) => labelOf(options?.countries ?? [], value));
      fillFacet(selects.city, 'Any city', facets.city, state.city, (value) => value);
      renderPager(pages);
    }

    function renderPager(pages: number): void {
      const link = (page: number, text: string, rel?: string) => {
        const href = pathOf({ ...state, page });
        return h('a', { href, rel, 'data-page': page, onclick: (event: Event) => {
          event.preventDefault();
          void search({ ...state, page }, 'push').then(() => status.scrollIntoView({ block: 'nearest' }));
        } }, text);
      };
      replaceChildren(pager,
        state.page > 1 ? link(state.page - 1, '← Previous', 'prev') : null,
        pages > 1 ? h('span', { class: 'pager-at' }, `Page ${state.page} of ${pages}`) : null,
        state.page < pages ? link(state.page + 1, 'Next →', 'next') : null);
    }

    function showNearError(message: string | undefined, field?: HTMLInputElement): void {
      for (const control of [near, within]) control.removeAttribute('aria-invalid');
      nearError.hidden = message === undefined;
      nearError.textContent = message ?? '';
      field?.setAttribute('aria-invalid', 'true');
    }

    let suggestTimer: ReturnType<typeof setTimeout> | undefined;
    let suggesting: AbortController | undefined;
    function showSuggestions(places: Place[]): void {
      replaceChildren(nearOptions, ...places.map((place) => h('li', { role: 'option' },
        h('button', { type: 'button', class: 'near-option', 'data-near': place.near, onclick: () => choosePlace(place) }, placeName(place, true)))));
      nearOptions.hidden = places.length === 0;
      near.setAttribute('aria-expanded', String(places.length > 0));
    }
    function choosePlace(place: Place): void {
      near.value = place.near;
      showSuggestions([]);
      void search(current(), 'push');
    }
    near.addEventListener('input', () => {
      clearTimeout(suggestTimer);
      suggesting?.abort();
      const prefix = near.value.trim();
      if (prefix.length < 2) {
        showSuggestions([]);
        return;
      }
      suggestTimer = setTimeout(() => {
        const controller = new AbortController();
        suggesting = controller;
        app.api().suggestPlaces({ prefix, limit: PLACE_SUGGESTIONS }, { signal: controller.signal })
          .then((places) => { if (!controller.signal.aborted) showSuggestions(places); }, () => undefined);
      }, DEBOUNCE_MS);
    });
    near.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') showSuggestions([]);
    });

    function showPriceError(message: string | undefined, field?: HTMLInputElement): void {
      for (const control of [min, max]) control.removeAttribute('aria-invalid');
      priceError.hidden = message === undefined;
      priceError.textContent = message ?? '';
      field?.setAttribute('aria-invalid', 'true');
    }

    input.addEventListener('input', () => {
      // Busy from the first keystroke: what is shown no longer answers what is typed.
      results.setAttribute('aria-busy', 'true');
      clearTimeout(timer);
      timer = setTimeout(() => void search(current(), 'replace'), DEBOUNCE_MS);
    });
    for (const select of [...Object.values(selects), sort]) select.addEventListener('change', () => void search(current(), 'push'));
    for (const price of [min, max, within, near]) price.addEventListener('change', () => void search(current(), 'push'));

    // Clears the filters and keeps the words, whatever has been typed since the page was drawn.
    const clear = h('a', { href: '/', class: 'clear', onclick: (event: Event) => {
      event.preventDefault();
      for (const control of [...Object.values(selects), sort, min, max, near, within]) control.value = '';
      showSuggestions([]);
      void search(current(), 'push');
    } }, 'Clear filters');
    const filters = h('details', { class: 'filters', open: matchMedia('(min-width: 40rem)').matches || filtered(state) },
      h('summary', {}, 'Filters and sort'),
      h('div', { class: 'filter-grid' },
        labelled('search-category', 'Category', selects.category),
        labelled('search-country', 'Country', selects.country),
        labelled('search-city', 'City', selects.city),
        h('div', { class: 'field price-range', role: 'group', 'aria-labelledby': 'search-price-label' },
          h('span', { id: 'search-price-label', class: 'label' }, 'Price'),
          h('div', { class: 'range' }, h('label', { for: 'search-min', class: 'visually-hidden' }, 'Lowest price'), min, h('span', { 'aria-hidden': 'true' }, '–'),
            h('label', { for: 'search-max', class: 'visually-hidden' }, 'Highest price'), max),
          h('p', { id: 'search-price-hint', class: 'hint' }, 'In each listing’s own currency; choose a country to compare like with like.'),
          priceError),
        h('div', { class: 'field near-range', role: 'group', 'aria-labelledby': 'search-near-label' },
          h('span', { id: 'search-near-label', class: 'label' }, 'Distance'),
          h('div', { class: 'range' },
            h('label', { for: 'search-within' }, 'Within'), within, h('label', { for: 'search-near' }, 'km of'),
            h('div', { class: 'near-box' }, near, nearOptions)),
          nearError),
        labelled('search-sort', 'Sort', sort)),
      h('p', {}, clear));
    const form = h('form', { role: 'search', class: 'search-form', onsubmit: (event: Event) => {
      event.preventDefault();
      void search(current(), 'push');
    } },
    h('label', { for: 'search-q' }, 'Search listings'),
    h('div', { class: 'search-row' }, input, h('button', { type: 'submit' }, 'Search')),
    filters);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      clearTimeout(suggestTimer);
      inFlight?.abort();
      suggesting?.abort();
    });
    // Until the first answer names the choices with their counts, a filter from the address is its only choice.
    fillFacet(selects.category, 'Any category', [], state.category, (value) => value);
    fillFacet(selects.country, 'Any country', [], state.country, (value) => value);
    fillFacet(selects.city, 'Any city', [], state.city, (value) => value);
    void search(state, 'replace');
    return h('section', { class: 'search' },
      h('h1', {}, 'Find it on Steveslist'),
      form,
      h('div', { class: 'result-bar' }, status, h('div', { 'data-slot': 'search-actions', class: 'search-actions' })),
      results,
      pager);
  },
};

function filtered(state: SearchState): boolean {
  return Boolean(state.category || state.country || state.city || state.min || state.max || state.near || state.sort);
}

/** "Boston, US", or with its region to tell apart places of one name ("Portland, OR, US"). */
function placeName(place: Place, withRegion = false): string {
  const region = withRegion && place.region && /^[A-Z]+$/.test(place.region) ? `${place.region}, ` : '';
  return `${place.name}, ${region}${place.country}`;
}

/** "12 km away"; under a kilometre (the same city) reads as such. */
export function distanceText(km: number): string {
  return km < 1 ? 'under 1 km away' : `${Math.round(km).toLocaleString('en-US')} km away`;
}

function labelled(id: string, text: string, control: HTMLElement): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: id }, text), control);
}

/** A facet's choices with their counts; the chosen value stays, even when nothing matches it now. */
function fillFacet(select: HTMLSelectElement, anyLabel: string, counts: FacetCount[], chosen: string, label: (value: string) => string): void {
  const values = counts.some((facet) => facet.value.toLowerCase() === chosen.toLowerCase()) || !chosen ? counts : [{ value: chosen, count: 0 }, ...counts];
  replaceChildren(select,
    h('option', { value: '' }, anyLabel),
    ...values.map((facet) => h('option', { value: facet.value }, `${label(facet.value)} (${facet.count})`)));
  select.value = values.find((facet) => facet.value.toLowerCase() === chosen.toLowerCase())?.value ?? '';
}

/**
 * Counts for a facet whose filter is set, as if it were not: choosing Berlin must still show the
 * other cities to switch to. One small extra search per such filter.
 */
async function facetCounts(app: App, params: SearchParams, signal: AbortSignal): Promise<Partial<Record<FacetName, FacetCount[]>>> {
  const names = (['category', 'country', 'city'] as const).filter((name) => params[name] !== undefined);
  const answers = await Promise.all(names.map((name) => {
    const others: SearchParams = { ...params, [name]: undefined, page: 1, per_page: 1 };
    // A city belongs to its country: the other cities to offer are the chosen country's.
    return app.api().search(others, { signal });
  }));
  return Object.fromEntries(names.map((name, index) => [name, answers[index]!.facets[name]]));
}

function hitItem(hit: SearchResult['hits'][number], options: FormOptions | undefined): HTMLElement {
  return h('li', { class: 'hit' },
    h('a', { href: `/listings/${hit.id}`, class: 'hit-name' }, ...(hit.highlight.name ? highlighted(hit.highlight.name) : [hit.name])),
    h('span', { class: 'price' }, formatPrice(hit.price_amount, hit.price_currency)),
    h('span', { class: 'place' }, `${hit.city}, ${labelOf(options?.countries ?? [], hit.country)}`),
    hit.distance_km === undefined ? null : h('span', { class: 'distance', 'data-testid': 'hit-distance' }, distanceText(hit.distance_km)),
    h('span', { class: 'category' }, labelOf(options?.categories ?? [], hit.category)));
}
