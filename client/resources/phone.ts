import type { HttpClient, RequestOptions } from '../http.js';
import type { Phone, PhonePreferences } from '../types.js';

/** The caller's phone number for SMS notifications: opt-in, verified by a texted code. */
export class PhoneResource {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** The number, whether it is verified and what it is texted about; none is a NotFoundError. */
  get(options?: RequestOptions): Promise<Phone> {
    return this.#http.request({ ...options, method: 'GET', path: '/v1/me/phone' });
  }

  /**
   * Adds or changes the number (E.164, e.g. `+447700900123`) and texts a code to it. A malformed
   * number is a ValidationError naming `phone`; asking again within a minute is a RateLimitError.
   */
  set(phone: string, options?: RequestOptions): Promise<Phone> {
    return this.#http.request({ ...options, method: 'PUT', path: '/v1/me/phone', body: { phone } });
  }

  /** Texts a new code to the unverified number. */
  sendCode(options?: RequestOptions): Promise<Phone> {
    return this.#http.request({ ...options, method: 'POST', path: '/v1/me/phone/code' });
  }

  /** Verifies the number with the code texted to it; a wrong code is a ValidationError naming `code`. */
  verify(code: string, options?: RequestOptions): Promise<Phone> {
    return this.#http.request({ ...options, method: 'POST', path: '/v1/me/phone/verification', body: { code } });
  }

  /** Chooses what the number is texted about. */
  setPreferences(preferences: PhonePreferences, options?: RequestOptions): Promise<Phone> {
    return this.#http.request({ ...options, method: 'PATCH', path: '/v1/me/phone', body: preferences });
  }

  /** Removes the number: no more SMS. */
  async remove(options?: RequestOptions): Promise<void> {
    await this.#http.request({ ...options, method: 'DELETE', path: '/v1/me/phone' });
  }
}
