// The judged query set (issue 25): about fifty searches a marketplace user types, each with the
// rule for which listings of the judged corpus answer it. A listing is relevant when it sells one
// of `items` (the product the words ask for, whatever its title calls it) and, for a query naming
// a place, is in that city. Kinds group the scores: a weak kind shows where an engine falls short.

export type QueryKind = 'word' | 'word form' | 'typo' | 'several words' | 'synonym' | 'place' | 'prefix';

export interface JudgedQuery {
  q: string;
  kind: QueryKind;
  /** Catalogue items (marketplace/sample-data/vocabulary.ts) that answer the query. */
  items: readonly string[];
  /** The city the query names, as listings spell it. */
  city?: string;
}

const SOFA = ['three-seat sofa'];
const TVS = ['Samsung 55" 4K TV', 'LG OLED TV 65"'];
const BIKES = ['road bike, 56cm frame', 'full-suspension mountain bike', 'e-bike with 500Wh battery', "kids' 20\" bike", 'fixie', 'cargo bike'];
const LAPTOPS = ['MacBook Air M1', 'Dell XPS 13 laptop'];
const APARTMENTS = ['1-bedroom apartment for rent', '2-bedroom apartment with balcony', 'studio near the station'];

export const JUDGED_QUERIES: readonly JudgedQuery[] = [
  { q: 'sofa', kind: 'word', items: SOFA },
  { q: 'kayak', kind: 'word', items: ['sit-on-top kayak'] },
  { q: 'treadmill', kind: 'word', items: ['treadmill'] },
  { q: 'vespa', kind: 'word', items: ['Vespa Primavera scooter'] },
  { q: 'kindle', kind: 'word', items: ['Kindle Paperwhite'] },
  { q: 'playstation', kind: 'word', items: ['Sony PlayStation 5'] },
  { q: 'macbook', kind: 'word', items: ['MacBook Air M1'] },
  { q: 'wardrobe', kind: 'word', items: ['wardrobe with sliding doors'] },
  { q: 'nespresso', kind: 'word', items: ['Nespresso machine'] },
  { q: 'scooter', kind: 'word', items: ['Vespa Primavera scooter'] },
  // Words shared with other products: skis, not the ski jacket; any table, not the TV stand.
  { q: 'ski', kind: 'word', items: ['all-mountain skis 170cm'] },
  { q: 'table', kind: 'word', items: ['oak dining table with 4 chairs', 'glass coffee table'] },

  { q: 'sofas', kind: 'word form', items: SOFA },
  { q: 'kayaks', kind: 'word form', items: ['sit-on-top kayak'] },
  { q: 'headphone', kind: 'word form', items: ['Bose QuietComfort headphones'] },
  { q: 'dumbbell', kind: 'word form', items: ['adjustable dumbbells'] },
  { q: 'chairs', kind: 'word form', items: ['Herman Miller office chair', 'oak dining table with 4 chairs'] },
  { q: 'bikes', kind: 'word form', items: BIKES },
  { q: 'motorcycles', kind: 'word form', items: ['Yamaha MT-07 motorcycle'] },
  { q: 'speakers', kind: 'word form', items: ['Sonos One speaker'] },

  { q: 'treadmil', kind: 'typo', items: ['treadmill'] },
  { q: 'kayack', kind: 'typo', items: ['sit-on-top kayak'] },
  { q: 'nintedo switch', kind: 'typo', items: ['Nintendo Switch OLED'] },
  { q: 'playstaton', kind: 'typo', items: ['Sony PlayStation 5'] },
  { q: 'headphnes', kind: 'typo', items: ['Bose QuietComfort headphones'] },
  { q: 'lawn mover', kind: 'typo', items: ['petrol lawn mower'] },
  { q: 'wardorbe', kind: 'typo', items: ['wardrobe with sliding doors'] },
  { q: 'sidebaord', kind: 'typo', items: ['mid-century sideboard'] },
  { q: 'vaccum cleaner', kind: 'typo', items: ['Dyson V11 vacuum'] },

  { q: 'oak dining table', kind: 'several words', items: ['oak dining table with 4 chairs'] },
  { q: 'coffee table', kind: 'several words', items: ['glass coffee table'] },
  { q: 'office chair', kind: 'several words', items: ['Herman Miller office chair'] },
  { q: 'mountain bike', kind: 'several words', items: ['full-suspension mountain bike'] },
  { q: 'gas grill', kind: 'several words', items: ['Weber gas grill'] },
  { q: 'stand mixer', kind: 'several words', items: ['KitchenAid stand mixer'] },
  { q: 'golf clubs', kind: 'several words', items: ['golf club set'] },
  { q: 'winter parka', kind: 'several words', items: ['winter parka, size M'] },
  { q: 'tesla model 3', kind: 'several words', items: ['2018 Tesla Model 3'] },
  { q: '2-bedroom apartment', kind: 'several words', items: ['2-bedroom apartment with balcony'] },
  { q: 'e-bike', kind: 'several words', items: ['e-bike with 500Wh battery'] },
  // A word no listing has: the others must still find the product.
  { q: 'cheap sofa', kind: 'several words', items: SOFA },
  { q: 'apple laptop', kind: 'several words', items: LAPTOPS },

  { q: 'couch', kind: 'synonym', items: SOFA },
  { q: 'settee', kind: 'synonym', items: SOFA },
  { q: 'television', kind: 'synonym', items: TVS },
  { q: 'tv', kind: 'synonym', items: TVS },
  { q: 'bicycle', kind: 'synonym', items: BIKES },
  { q: 'notebook', kind: 'synonym', items: LAPTOPS },
  { q: 'smartphone', kind: 'synonym', items: ['iPhone 13 128GB'] },
  { q: 'phone', kind: 'synonym', items: ['iPhone 13 128GB'] },

  { q: 'bike berlin', kind: 'place', items: BIKES, city: 'Berlin' },
  { q: 'sofa new york', kind: 'place', items: SOFA, city: 'New York' },
  { q: 'tv chicago', kind: 'place', items: TVS, city: 'Chicago' },
  { q: 'munchen bike', kind: 'place', items: BIKES, city: 'München' },
  { q: 'bike montreal', kind: 'place', items: BIKES, city: 'Montréal' },
  { q: 'apartment new york', kind: 'place', items: APARTMENTS, city: 'New York' },
  { q: 'iphone new york', kind: 'place', items: ['iPhone 13 128GB'], city: 'New York' },
  { q: 'treadmill koln', kind: 'place', items: ['treadmill'], city: 'Köln' },

  { q: 'nintendo swi', kind: 'prefix', items: ['Nintendo Switch OLED'] },
  { q: 'herman mil', kind: 'prefix', items: ['Herman Miller office chair'] },
  { q: 'kitchena', kind: 'prefix', items: ['KitchenAid stand mixer'] },
];
