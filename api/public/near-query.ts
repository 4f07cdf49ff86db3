// `near` and `within_km` as GET /v1/search and the saved searches take them: one schema and one
// reading, so an alert saved from a results page means what the page searched.
import type { Gazetteer, Place } from '../../marketplace/places/gazetteer.js';
import type { GeoFilter } from '../../pipelines/sinks/search/port.js';
import { badRequest } from '../errors.js';
import { resolveNear } from './near-place.js';

export interface NearInput {
  near?: string;
  within_km?: number;
}

/** The two parameters' JSON schema properties. */
export const nearProperties = {
  near: {
    type: 'string', minLength: 1, maxLength: 120,
    description: 'Only listings with coordinates, each hit with its distance_km from this city: "Boston,US" (any spelling of the name, a comma, the ISO country code) or a place id from GET /v1/places',
  },
  within_km: { type: 'number', minimum: 1, maximum: 20_000, description: 'With near: only listings at most this many kilometres away (great-circle distance between the cities)' },
} as const;

/** The place `near` names and the filter it makes; undefined without `near`. Bad input is a 400 naming the field. */
export async function readNear(places: Gazetteer, input: NearInput): Promise<{ place: Place; filter: GeoFilter } | undefined> {
  if (input.near === undefined) {
    if (input.within_km !== undefined) throw badRequest('within_km', 'needs near, the city to measure from (as near=Boston,US)');
    return undefined;
  }
  const place = await resolveNear(places, 'near', input.near);
  return { place, filter: { latitude: place.latitude, longitude: place.longitude, withinKm: input.within_km } };
}
