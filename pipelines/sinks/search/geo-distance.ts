// Great-circle distance for `near` searches and distance alerts, one formula for every engine:
// Elasticsearch's arc distance uses the same haversine and mean Earth radius, so both engines
// report the same distance_km for a hit and draw a radius at the same place.

const EARTH_MEAN_RADIUS_KM = 6371.0088;
const RADIANS = Math.PI / 180;

/** Kilometres between two points given in degrees (four numbers: no object per document in hot loops). */
export function kmBetween(latitudeA: number, longitudeA: number, latitudeB: number, longitudeB: number): number {
  const dLat = (latitudeB - latitudeA) * RADIANS;
  const dLon = (longitudeB - longitudeA) * RADIANS;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(latitudeA * RADIANS) * Math.cos(latitudeB * RADIANS) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_MEAN_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

export function distanceKm(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  return kmBetween(a.latitude, a.longitude, b.latitude, b.longitude);
}

/** A document's coordinates, or null when it has none (listings without a place on the map). */
export function coordinatesOf(doc: object): { latitude: number; longitude: number } | null {
  const { latitude, longitude } = doc as { latitude?: unknown; longitude?: unknown };
  const lat = degrees(latitude);
  const lon = degrees(longitude);
  if (typeof lat !== 'number' || typeof lon !== 'number' || !Number.isFinite(lat) || !Number.isFinite(lon)) return null;
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  return { latitude: lat, longitude: lon };
}

/** Numeric text is read as a number; blank text is none (Number('') would place it at 0). */
function degrees(value: unknown): unknown {
  return typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
}

/** coordinatesOf for where "no place" is stored as two nulls (a listing row, the embedded index's columns). */
export function storedCoordinates(doc: object): { latitude: number | null; longitude: number | null } {
  return coordinatesOf(doc) ?? { latitude: null, longitude: null };
}
