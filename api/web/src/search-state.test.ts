import { describe, expect, it } from 'vitest';
import { apiParams, lastPage, pathOf, stateFromQuery } from './search-state.js';

describe('a search in the address', () => {
  it('reads back what it wrote, and writes only what differs from the defaults', () => {
    const state = stateFromQuery(new URLSearchParams('q=road bike&city=Berlin&country=de&min=100&max=450.5&sort=price_asc&page=3'));
    expect(state).toEqual({ q: 'road bike', category: '', country: 'DE', city: 'Berlin', min: '100', max: '450.5', near: '', within: '', sort: 'price_asc', page: 3 });
    expect(pathOf(state)).toBe('/?q=road+bike&country=DE&city=Berlin&min=100&max=450.5&sort=price_asc&page=3');
    expect(stateFromQuery(new URLSearchParams(pathOf(state).slice(2)))).toEqual(state);
    expect(pathOf(stateFromQuery(new URLSearchParams('q=sideboa')))).toBe('/?q=sideboa');
    expect(pathOf(stateFromQuery(new URLSearchParams('')))).toBe('/');
  });

  it('ignores what a hand-edited address gets wrong', () => {
    expect(stateFromQuery(new URLSearchParams('sort=cheapest&page=-2'))).toMatchObject({ sort: '', page: 1 });
    expect(stateFromQuery(new URLSearchParams('page=99999')).page).toBe(500);
  });

  it('asks the API in minor units, best match only when there are words', () => {
    expect(apiParams(stateFromQuery(new URLSearchParams('min=100&max=450.5')))).toEqual({
      ok: true, params: { sort: 'newest', page: 1, per_page: 20, min_price: 10_000, max_price: 45_050 },
    });
    expect(apiParams(stateFromQuery(new URLSearchParams('q=sofa&category=furniture')))).toMatchObject({ ok: true, params: { q: 'sofa', category: 'furniture', sort: 'relevance' } });
  });

  it('names the price field at fault', () => {
    expect(apiParams(stateFromQuery(new URLSearchParams('min=ten')))).toMatchObject({ ok: false, field: 'min' });
    expect(apiParams(stateFromQuery(new URLSearchParams('min=500&max=100')))).toEqual({ ok: false, field: 'max', message: 'the highest price is below the lowest' });
  });

  it('keeps a distance search in the address and asks for it nearest first when there are no words', () => {
    const state = stateFromQuery(new URLSearchParams('near=M%C3%BCnchen,DE&within=25'));
    expect(state).toMatchObject({ near: 'München,DE', within: '25', sort: '' });
    expect(pathOf(state)).toBe('/?near=M%C3%BCnchen%2CDE&within=25');
    expect(stateFromQuery(new URLSearchParams(pathOf(state).slice(2)))).toEqual(state);
    expect(apiParams(state)).toEqual({ ok: true, params: { sort: 'distance', page: 1, per_page: 20, near: 'München,DE', within_km: 25 } });
    expect(apiParams(stateFromQuery(new URLSearchParams('q=sofa&near=Boston,US')))).toMatchObject({ ok: true, params: { q: 'sofa', near: 'Boston,US', sort: 'relevance' } });
  });

  it('drops a radius or a nearest-first sort that has no city, and names a radius it cannot use', () => {
    expect(apiParams(stateFromQuery(new URLSearchParams('within=25&sort=distance')))).toEqual({ ok: true, params: { sort: 'newest', page: 1, per_page: 20 } });
    for (const within of ['0', '2.5', 'ten', '20001']) {
      expect(apiParams(stateFromQuery(new URLSearchParams(`near=Boston,US&within=${within}`))), within).toMatchObject({ ok: false, field: 'within' });
    }
  });

  it('pages no further than the results or the engines go', () => {
    expect(lastPage(0)).toBe(1);
    expect(lastPage(106)).toBe(6);
    expect(lastPage(1_000_000)).toBe(500);
  });
});
