// The `near` parameter: a city as "Boston,US" (the name as any of its spellings, a comma, the
// ISO country code) or a gazetteer id as GET /v1/places gives, resolved to a place or refused with a
// reason a person can act on.
import type { Gazetteer, Place } from '../../marketplace/places/gazetteer.js';
import { badRequest } from '../errors.js';

export async function resolveNear(places: Gazetteer, field: string, text: string): Promise<Place> {
  const value = text.trim();
  if (/^\d{1,10}$/.test(value)) {
    const place = await places.byId(Number(value));
    if (!place) throw badRequest(field, `no place has id ${value}; GET /v1/places?prefix=… gives ids`);
    return place;
  }
  const comma = value.lastIndexOf(',');
  const city = value.slice(0, comma).trim();
  const country = value.slice(comma + 1).trim();
  if (comma < 0 || city.length === 0 || !/^[A-Za-z]{2}$/.test(country)) {
    throw badRequest(field, `give a city and its country code, as "Boston,US", or a place id from GET /v1/places (got "${value.slice(0, 100)}")`);
  }
  const place = await places.locate(city, country);
  if (!place) throw badRequest(field, `no city called "${city.slice(0, 100)}" is known in ${country.toUpperCase()}; GET /v1/places?prefix=… suggests names`);
  return place;
}

/** How a place is written back into `near`: what resolveNear finds again. */
export function nearText(place: Place): string {
  return `${place.name},${place.country}`;
}
