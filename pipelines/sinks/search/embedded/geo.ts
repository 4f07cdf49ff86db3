// Great-circle distance (haversine) over the mean Earth radius, as Elasticsearch's arc distance,
// so both engines give the same distance_km for a hit.

const EARTH_MEAN_RADIUS_KM = 6371.0088;
const RADIANS = Math.PI / 180;

export function distanceKm(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const dLat = (b.latitude - a.latitude) * RADIANS;
  const dLon = (b.longitude - a.longitude) * RADIANS;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * RADIANS) * Math.cos(b.latitude * RADIANS) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_MEAN_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}
