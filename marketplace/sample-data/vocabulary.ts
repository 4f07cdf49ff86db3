// Words the sample data is made of: real places, plausible goods with plausible prices.

export interface Country {
  code: string;
  currency: string;
  cities: readonly string[];
}

export const COUNTRIES: readonly Country[] = [
  { code: 'US', currency: 'usd', cities: ['New York', 'Los Angeles', 'Chicago', 'Houston', 'Seattle', 'Boston', 'Austin', 'Denver', 'San Francisco', 'Portland'] },
  { code: 'GB', currency: 'gbp', cities: ['London', 'Manchester', 'Birmingham', 'Leeds', 'Glasgow', 'Bristol', 'Edinburgh'] },
  { code: 'DE', currency: 'eur', cities: ['Berlin', 'Hamburg', 'München', 'Köln', 'Frankfurt am Main'] },
  { code: 'FR', currency: 'eur', cities: ['Paris', 'Lyon', 'Marseille', 'Toulouse', 'Bordeaux'] },
  { code: 'CA', currency: 'cad', cities: ['Toronto', 'Vancouver', 'Montréal', 'Calgary'] },
  { code: 'AU', currency: 'aud', cities: ['Sydney', 'Melbourne', 'Brisbane', 'Perth'] },
];

/** Weight of each country in generated data (bigger markets list more). */
export const COUNTRY_WEIGHTS: Readonly<Record<string, number>> = { US: 40, GB: 18, DE: 14, FR: 12, CA: 9, AU: 7 };

export interface Category {
  items: readonly string[];
  /** Price range in major units; prices are drawn log-uniformly inside it. */
  price: readonly [number, number];
  weight: number;
}

export const CATEGORIES: Readonly<Record<string, Category>> = {
  electronics: {
    items: ['Samsung 55" 4K TV', 'LG OLED TV 65"', 'Sony PlayStation 5', 'Nintendo Switch OLED', 'iPhone 13 128GB',
      'MacBook Air M1', 'Dell XPS 13 laptop', 'Bose QuietComfort headphones', 'Canon EOS R6 camera', 'Kindle Paperwhite',
      'iPad Pro 11"', 'Sonos One speaker', 'Xbox Series X', 'GoPro HERO11', 'Garmin Forerunner watch'],
    price: [25, 1800], weight: 26,
  },
  furniture: {
    items: ['three-seat sofa', 'oak dining table with 4 chairs', 'IKEA Billy bookshelf', 'Herman Miller office chair',
      'queen bed frame', 'mid-century sideboard', 'glass coffee table', 'wardrobe with sliding doors', 'leather armchair', 'standing desk'],
    price: [15, 1500], weight: 20,
  },
  vehicles: {
    items: ['2012 Honda Civic', '2015 Toyota Corolla', '2009 Ford F-150', '2018 Tesla Model 3', 'Vespa Primavera scooter',
      'Yamaha MT-07 motorcycle', '2014 VW Golf', '2011 Subaru Outback'],
    price: [900, 38000], weight: 8,
  },
  bikes: {
    items: ['road bike, 56cm frame', 'full-suspension mountain bike', 'e-bike with 500Wh battery', "kids' 20\" bike", 'fixie', 'cargo bike'],
    price: [40, 3500], weight: 10,
  },
  'home-garden': {
    items: ['Dyson V11 vacuum', 'Weber gas grill', 'petrol lawn mower', 'Le Creuset dutch oven', 'KitchenAid stand mixer',
      'Nespresso machine', 'monstera plant, 1.5m', 'patio set for 4'],
    price: [10, 700], weight: 14,
  },
  clothing: {
    items: ['winter parka, size M', 'leather boots, size 42', 'wedding dress, size 38', "Levi's 501 jeans", 'ski jacket', 'wool coat'],
    price: [8, 450], weight: 10,
  },
  sports: {
    items: ['treadmill', 'sit-on-top kayak', 'all-mountain skis 170cm', 'golf club set', 'adjustable dumbbells', 'climbing shoes', 'tennis racket'],
    price: [15, 1400], weight: 8,
  },
  housing: {
    items: ['1-bedroom apartment for rent', 'room in shared flat', 'studio near the station', '2-bedroom apartment with balcony', 'parking space'],
    price: [120, 4200], weight: 4,
  },
};

export const CONDITIONS = ['like new', 'barely used', 'second-hand', 'good condition', 'needs repair', 'brand new in box', 'vintage'];

export const REASONS = ['I am moving abroad', 'we upgraded', 'it no longer fits', 'I have two', 'clearing out the garage',
  'it was a gift I never used', 'downsizing'];

export const DETAILS = ['Works perfectly.', 'A few small scratches, see photos.', 'Comes with the original box.',
  'Smoke-free and pet-free home.', 'Receipt available.', 'Recently serviced.', 'All accessories included.'];

export const TERMS = ['Cash or bank transfer only.', 'No low-ball offers, please.', 'Price is negotiable.',
  'First come, first served.', 'Can deliver within 10 km.'];

export const FIRST_NAMES = ['Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Oliver', 'Sophia', 'Elijah', 'Mia', 'James', 'Amelia',
  'Lucas', 'Zoë', 'José', 'Łukasz', 'Søren', 'Ngozi', 'Aiko', 'Mateo', 'Chloé', 'Björn', 'Priya', 'Fatima', 'Wei', 'Anouk',
  'Dmitri', 'Amara', 'Hannah', 'Jonas', 'Léa'];

export const LAST_NAMES = ['Smith', 'Johnson', 'Williams', 'Brown', 'García', 'Müller', 'Martin', 'Nowak', 'Rossi', 'Dubois',
  'Nguyen', 'Kim', 'Okafor', 'Andersen', 'Tanaka', "O'Brien", 'Silva', 'Schmidt', 'Patel', 'Cohen', 'Kowalski', 'Jensen',
  'Lefèvre', 'Haddad', 'Ivanova'];

export const MESSAGE_TEXTS = ['Hi, is this still available?', 'Would you take a lower price?', 'Can I pick it up tomorrow evening?',
  'Does it come with the charger?', 'Is delivery possible?', 'Could you send more photos? 📷'];
