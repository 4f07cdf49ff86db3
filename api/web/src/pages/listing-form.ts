// Creating and editing a listing. Prices are typed in major units and sent as integer minor units.
import type { CreateListingParams, Listing, UpdateListingParams } from '../../../../client/index.js';
import type { Page, PageContext } from '../app.js';
import { h } from '../dom.js';
import { Form } from '../form.js';
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
  render(context) {
    const session = requireSession(context);
    if (!session) return h('p', {}, 'Log in to sell.');
    const defaults: Defaults = { name: '', description: '', category: '', country: session.user.country ?? '', city: session.user.city ?? '', price: '', currency: 'usd', status: 'active' };
    const form = listingForm('new-listing', defaults, 'Publish', async (values) => {
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
    const form = listingForm('edit-listing', defaultsOf(listing), 'Save changes', async (values) => {
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

function listingForm(id: string, defaults: Defaults, submitLabel: string, save: (values: CreateListingParams) => Promise<void>): Form {
  return new Form(id, [
    { name: 'name', label: 'Title', value: defaults.name, required: true, attributes: { maxlength: '200' } },
    { name: 'description', label: 'Description', kind: 'textarea', value: defaults.description, attributes: { maxlength: '10000' } },
    { name: 'category', label: 'Category', value: defaults.category, required: true, hint: 'One word in lower case, e.g. electronics or furniture.', attributes: { maxlength: '50' } },
    { name: 'price_amount', label: 'Price', value: defaults.price, required: true, hint: 'For example 25 or 19.99.', attributes: { inputmode: 'decimal' } },
    { name: 'price_currency', label: 'Currency', value: defaults.currency, required: true, hint: 'Three letters, e.g. usd or eur.', attributes: { maxlength: '3', size: '4' } },
    { name: 'country', label: 'Country', value: defaults.country, required: true, hint: 'Two letters, e.g. US or DE.', attributes: { maxlength: '2', size: '3', autocomplete: 'country' } },
    { name: 'city', label: 'City', value: defaults.city, required: true, attributes: { maxlength: '100', autocomplete: 'address-level2' } },
    { name: 'status', label: 'Visibility', kind: 'select', value: defaults.status, options: [{ value: 'active', label: 'For sale: anyone can find it' }, { value: 'draft', label: 'Draft: only you can see it' }] },
  ], submitLabel, async (form) => {
    const currency = form.value('price_currency').trim().toLowerCase();
    const price = toMinorUnits(form.value('price_amount'), currency);
    if (!price.ok) return form.showError(price.message, 'price_amount');
    await save({
      name: form.value('name').trim(),
      description: form.value('description'),
      // Codes are case-insensitive to people and lower or upper case to the API: spare them the retry.
      category: form.value('category').trim().toLowerCase(),
      country: form.value('country').trim().toUpperCase(),
      city: form.value('city').trim(),
      price_amount: price.amountMinor,
      price_currency: currency,
      status: form.value('status') === 'draft' ? 'draft' : 'active',
    });
  });
}
