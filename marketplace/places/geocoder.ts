// The geocoding port: a street address to a point, for when a city is not precise enough. The
// adapter is google-geocoder.ts (Google's Geocoding API through Google's own client library).
import { PlatformError } from '../../core/errors.js';

export interface GeocodedAddress {
  /** The address as the service writes it. */
  formattedAddress: string;
  /** Degrees, WGS 84. */
  latitude: number;
  longitude: number;
  /** The service's id for the place, stable enough to store. */
  placeId: string;
}

export interface GeocodeOptions {
  /** ISO 3166 alpha-2: only results in this country. */
  country?: string;
}

export interface Geocoder {
  /** The best match for the address; undefined when the service finds none. */
  geocode(address: string, options?: GeocodeOptions): Promise<GeocodedAddress | undefined>;
}

/** The service cannot answer now (timeout, 5xx, over its rate): asking later may work. */
export class GeocodingUnavailable extends PlatformError {
  readonly code = 'GEOCODING_UNAVAILABLE';
  readonly retriable = true;
}

/** The service refused the request (bad key, billing off, malformed request): asking again will not help. */
export class GeocodingRefused extends PlatformError {
  readonly code = 'GEOCODING_REFUSED';
  readonly retriable = false;
}
