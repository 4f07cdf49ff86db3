// Great-circle distance (haversine) over the mean Earth radius, as Elasticsearch's arc distance,
// so both engines give the same distance_km for a hit.

const EARTH_MEAN_RADIUS_KM = 6371.0088;
const RADIANS = Math.PI / 180;

/** Kilometres between two points given in degrees (four numbers: no object per document in hot loops). */
export function distanceKm(latitudeA: number, longitudeA: number, latitudeB: number, longitudeB: number): number {
  const dLat = (latitudeB - latitudeA) * RADIANS;
  const dLon = (longitudeB - longitudeA) * RADIANS;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(latitudeA * RADIANS) * Math.cos(latitudeB * RADIANS) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_MEAN_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}
