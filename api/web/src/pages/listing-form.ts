// Creating and editing a listing. Prices are typed in major units and sent as integer minor units.
import type { Choice, CreateListingParams, FormOptions, Listing, UpdateListingParams } from '../../../../client/index.js';
import type { Page, PageContext } from '../app.js';
import { h } from '../dom.js';
import { Form } from '../form.js';
import { formOptions } from '../form-options.js';
import { requireSession } from '../login-redirect.js';
import { toMajorText, toMinorUnits } from '../money.js';

interface Defaults {
  name: string;
  description: string;
  category: string;
  country: string;
  city: string;
  price: string;
  currency: string;
  status: 'active' | 'draft';
}

export const newListingPage: Page = {
  title: 'Sell something',
  async render(context) {
    const session = requireSession(context);
    if (!session) return h('p', {}, 'Log in to sell.');
    const options = await formOptions(context.app);
    const country = session.user.country ?? '';
    const currency = options.countries.find((choice) => choice.value === country)?.currency ?? 'usd';
    const defaults: Defaults = { name: '', description: '', category: '', country, city: session.user.city ?? '', price: '', currency, status: 'active' };
    const form = listingForm('new-listing', options, defaults, 'Publish', async (values) => {
      const created = await context.app.api().listings.create(values);
      context.app.navigate(`/listings/${created.id}`);
    });
    return h('section', {}, h('h1', {}, 'Sell something'), form.element);
  },
};

export const editListingPage: Page = {
  title: 'Edit listing',
  async render(context) {
    const session = requireSession(context);
    if (!session) return h('p', {}, 'Log in to edit your listings.');
    const listing = await context.app.api().listings.get(Number(context.params.id), { signal: context.signal });
    const heading = h('h1', {}, `Edit “${listing.name}”`);
    if (listing.seller_id !== session.user.id) return h('section', {}, heading, h('p', { class: 'error' }, 'This listing is not yours.'));
    if (listing.status === 'sold' || listing.status === 'removed') return h('section', {}, heading, h('p', {}, `This listing is ${listing.status} and can no longer be changed.`));
    if (listing.status === 'pending_review') return h('section', {}, heading, h('p', {}, 'This listing is under review by our moderators; you can change it once they have decided.'));
    const form = listingForm('edit-listing', await formOptions(context.app), defaultsOf(listing), 'Save changes', async (values) => {
      const changed = changes(listing, values);
      if (Object.keys(changed).length > 0) await context.app.api().listings.update(listing.id, changed);
      context.app.navigate(`/listings/${listing.id}`);
    });
    return h('section', {}, heading, form.element, h('p', {}, h('a', { href: `/listings/${listing.id}` }, 'Cancel')));
  },
};

function defaultsOf(listing: Listing): Defaults {
  return {
    name: listing.name, description: listing.description, category: listing.category, country: listing.country, city: listing.city,
    price: toMajorText(listing.price_amount, listing.price_currency), currency: listing.price_currency,
    status: listing.status === 'draft' ? 'draft' : 'active',
  };
}

/** Only what differs: a PATCH carries what changed, and the change event says exactly that. */
function changes(listing: Listing, values: CreateListingParams): UpdateListingParams {
  const changed: UpdateListingParams = {};
  for (const key of Object.keys(values) as (keyof CreateListingParams)[]) {
    if (values[key] !== listing[key]) Object.assign(changed, { [key]: values[key] });
  }
  return changed;
}

/** The choices, with the current value kept even when the list no longer offers it (an older listing's). */
function choicesWith(choices: readonly Choice[], current: string, placeholder: string): { value: string; label: string }[] {
  const offered = choices.some((choice) => choice.value === current) || current === '' ? choices : [{ value: current, label: current }, ...choices];
  return [{ value: '', label: placeholder }, ...offered];
}

function listingForm(id: string, options: FormOptions, defaults: Defaults, submitLabel: string, save: (values: CreateListingParams) => Promise<void>): Form {
  const form = new Form(id, [
    { name: 'name', label: 'Title', value: defaults.name, required: true, attributes: { maxlength: '200' } },
    { name: 'description', label: 'Description', kind: 'textarea', value: defaults.description, attributes: { maxlength: '10000' } },
    { name: 'category', label: 'Category', kind: 'select', value: defaults.category, required: true, options: choicesWith(options.categories, defaults.category, 'Choose a category') },
    { name: 'price_amount', label: 'Price', value: defaults.price, required: true, hint: 'For example 25 or 19.99.', attributes: { inputmode: 'decimal' } },
    { name: 'price_currency', label: 'Currency', kind: 'select', value: defaults.currency, required: true, options: choicesWith(options.currencies, defaults.currency, 'Choose a currency') },
    { name: 'country', label: 'Country', kind: 'select', value: defaults.country, required: true, options: choicesWith(options.countries, defaults.country, 'Choose a country'), attributes: { autocomplete: 'country' } },
    { name: 'city', label: 'City', value: defaults.city, required: true, attributes: { maxlength: '100', autocomplete: 'address-level2' } },
    { name: 'status', label: 'Visibility', kind: 'select', value: defaults.status, options: [{ value: 'active', label: 'For sale: anyone can find it' }, { value: 'draft', label: 'Draft: only you can see it' }] },
  ], submitLabel, async (form) => {
    // What the form can tell at once it says at once; everything else is the API's to say.
    const missing = ([['name', 'Give it a title.'], ['category', 'Choose a category.'], ['price_currency', 'Choose a currency.'], ['country', 'Choose a country.'], ['city', 'Name the city it is in.']] as const)
      .find(([name]) => form.value(name).trim() === '');
    if (missing) return form.showError(missing[1], missing[0]);
    const currency = form.value('price_currency');
    const price = toMinorUnits(form.value('price_amount'), currency);
    if (!price.ok) return form.showError(`${price.message.charAt(0).toUpperCase()}${price.message.slice(1)}.`, 'price_amount');
    await save({
      name: form.value('name').trim(),
      description: form.value('description'),
      category: form.value('category'),
      country: form.value('country'),
      city: form.value('city').trim(),
      price_amount: price.amountMinor,
      price_currency: currency,
      status: form.value('status') === 'draft' ? 'draft' : 'active',
    });
  });
  // A country suggests its currency; a currency chosen by hand is left alone.
  const country = form.element.querySelector<HTMLSelectElement>('select[name="country"]')!;
  const currencySelect = form.element.querySelector<HTMLSelectElement>('select[name="price_currency"]')!;
  let currencyChosen = false;
  currencySelect.addEventListener('change', () => { currencyChosen = true; });
  country.addEventListener('change', () => {
    const suggested = options.countries.find((choice) => choice.value === country.value)?.currency;
    if (!currencyChosen && suggested) currencySelect.value = suggested;
  });
  return form;
}
