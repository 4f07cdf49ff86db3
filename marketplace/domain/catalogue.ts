// The choices a listing form offers: categories, currencies and countries, with the words people
// read. The API serves them (GET /v1/form-options) so every client offers the same choices.

export interface Choice {
  value: string;
  label: string;
}

export const CATEGORIES: readonly Choice[] = [
  { value: 'electronics', label: 'Electronics' },
  { value: 'furniture', label: 'Furniture' },
  { value: 'home-garden', label: 'Home & garden' },
  { value: 'clothing', label: 'Clothing' },
  { value: 'bikes', label: 'Bikes' },
  { value: 'vehicles', label: 'Vehicles' },
  { value: 'sports', label: 'Sports' },
  { value: 'housing', label: 'Housing' },
  { value: 'books', label: 'Books' },
  { value: 'music', label: 'Music' },
  { value: 'toys', label: 'Toys & games' },
  { value: 'other', label: 'Other' },
];

export const CURRENCIES: readonly Choice[] = [
  { value: 'usd', label: 'US dollar (USD)' },
  { value: 'eur', label: 'Euro (EUR)' },
  { value: 'gbp', label: 'Pound sterling (GBP)' },
  { value: 'cad', label: 'Canadian dollar (CAD)' },
  { value: 'aud', label: 'Australian dollar (AUD)' },
];

export const COUNTRIES: readonly (Choice & { currency: string })[] = [
  { value: 'US', label: 'United States', currency: 'usd' },
  { value: 'GB', label: 'United Kingdom', currency: 'gbp' },
  { value: 'DE', label: 'Germany', currency: 'eur' },
  { value: 'FR', label: 'France', currency: 'eur' },
  { value: 'CA', label: 'Canada', currency: 'cad' },
  { value: 'AU', label: 'Australia', currency: 'aud' },
];

/** A category the form does not offer (an older listing's, or one an API client chose) reads as its code. */
export function categoryLabel(value: string): string {
  return CATEGORIES.find((choice) => choice.value === value)?.label ?? value;
}
