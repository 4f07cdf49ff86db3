import type { HttpClient, RequestOptions } from '../http.js';
import type { Complaint, FileComplaintParams } from '../types.js';

export class ComplaintsResource {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** Reports a listing, a user or both to the moderators. */
  file(params: FileComplaintParams, options?: RequestOptions): Promise<Complaint> {
    return this.#http.request({ ...options, method: 'POST', path: '/v1/complaints', body: params });
  }
}
