// The geocoding adapter over Google's Geocoding API, through the official client library
// (@googlemaps/google-maps-services-js). The API's address is a setting so tests (and an egress
// proxy) can stand in for Google. The key travels as a query parameter; it never reaches an error
// message or a log.
import { Client, Status, type GeocodeResponseData } from '@googlemaps/google-maps-services-js';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs } from '../../core/retry-schedule.js';
import { GeocodingRefused, GeocodingUnavailable, type GeocodedAddress, type Geocoder, type GeocodeOptions } from './geocoder.js';

export interface GoogleGeocoderOptions {
  apiKey: string;
  /** Google's Maps web services; another address in tests. */
  apiUrl?: string;
  /** Per request. */
  timeoutMs?: number;
  /** Tries in all for an answer that may change (timeouts, 5xx, OVER_QUERY_LIMIT, UNKNOWN_ERROR). */
  attempts?: number;
  /** First wait between tries; it doubles, with jitter, up to 8 times this. */
  backoffMs?: number;
}

const GEOCODE_PATH = '/maps/api/geocode/json';

/** Statuses the Geocoding API documents as worth trying again. */
const RETRIABLE_STATUSES = new Set<string>([Status.OVER_QUERY_LIMIT, Status.UNKNOWN_ERROR]);

interface HttpFailure {
  response?: { status: number; data?: { status?: string; error_message?: string } };
  code?: string;
}

export class GoogleGeocoder implements Geocoder {
  private readonly client = new Client({});
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly backoffMs: number;

  constructor(private readonly options: GoogleGeocoderOptions) {
    this.url = new URL(GEOCODE_PATH, options.apiUrl ?? 'https://maps.googleapis.com').toString();
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.attempts = options.attempts ?? 3;
    this.backoffMs = options.backoffMs ?? 250;
  }

  async geocode(address: string, options: GeocodeOptions = {}): Promise<GeocodedAddress | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(address, options);
      } catch (error) {
        if (!(error instanceof GeocodingUnavailable) || attempt >= this.attempts) throw error;
        await sleep(backoffMs(attempt, this.backoffMs, this.backoffMs * 8));
      }
    }
  }

  private async once(address: string, options: GeocodeOptions): Promise<GeocodedAddress | undefined> {
    let data: GeocodeResponseData;
    try {
      const response = await this.client.geocode({
        url: this.url,
        params: { address, key: this.options.apiKey, ...(options.country && { components: { country: options.country.toUpperCase() } }) },
        timeout: this.timeoutMs,
        // Retries are ours (retriable answers only, with backoff), not the library's defaults.
        raxConfig: { retry: 0 },
      } as Parameters<Client['geocode']>[0]);
      data = response.data;
    } catch (error) {
      throw describeFailure(error as HttpFailure);
    }
    if (data.status === Status.OK) {
      const best = data.results[0];
      if (!best) return undefined;
      return { formattedAddress: best.formatted_address, latitude: best.geometry.location.lat, longitude: best.geometry.location.lng, placeId: best.place_id };
    }
    if (data.status === Status.ZERO_RESULTS) return undefined;
    const reason = `Google geocoding answered ${data.status}${data.error_message ? `: ${data.error_message}` : ''}`;
    throw RETRIABLE_STATUSES.has(data.status) ? new GeocodingUnavailable(reason) : new GeocodingRefused(reason);
  }
}

/**
 * A failed request as one of the port's errors. The client library turns the API's error statuses
 * into HTTP ones (REQUEST_DENIED as 403, OVER_QUERY_LIMIT as 429), so both are read; the message
 * is built from them alone, so the request URL (with the key) stays out.
 */
function describeFailure(failure: HttpFailure): GeocodingUnavailable | GeocodingRefused {
  const httpStatus = failure.response?.status;
  if (httpStatus === undefined) return new GeocodingUnavailable(`Google geocoding unreachable (${failure.code ?? 'no answer'})`);
  const apiStatus = failure.response?.data?.status;
  const said = failure.response?.data?.error_message ? `: ${failure.response.data.error_message}` : '';
  const retriable = httpStatus === 429 || httpStatus >= 500 || (apiStatus !== undefined && RETRIABLE_STATUSES.has(apiStatus));
  const reason = apiStatus && apiStatus !== Status.UNKNOWN_ERROR ? `Google geocoding answered ${apiStatus}${said}` : `Google geocoding answered HTTP ${httpStatus}${said}`;
  return retriable ? new GeocodingUnavailable(reason) : new GeocodingRefused(reason);
}
