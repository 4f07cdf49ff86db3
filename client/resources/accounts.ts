import type { HttpClient, RequestOptions } from '../http.js';
import type { Id, LogInParams, LogInResult, Profile, SignUpParams, SignUpResult, User } from '../types.js';
import { segment } from './path.js';

export class AccountsResource {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** Creates an account and a session; an email already taken is a ConflictError. */
  signUp(params: SignUpParams, options?: RequestOptions): Promise<SignUpResult> {
    return this.#http.request({ ...options, method: 'POST', path: '/v1/users', body: params });
  }

  /** A new session token; continue with `client.withToken(result.token)`. Wrong email or password is an AuthenticationError. */
  logIn(params: LogInParams, options?: RequestOptions): Promise<LogInResult> {
    return this.#http.request({ ...options, method: 'POST', path: '/v1/sessions', body: params });
  }

  /** Ends the session this client was made with (a session token, not an API key). */
  async logOut(options?: RequestOptions): Promise<void> {
    await this.#http.request({ ...options, method: 'DELETE', path: '/v1/sessions/current' });
  }

  me(options?: RequestOptions): Promise<User> {
    return this.#http.request({ ...options, method: 'GET', path: '/v1/me' });
  }

  /** Another member's name and place (members only); a deleted account is a NotFoundError. */
  profile(id: Id, options?: RequestOptions): Promise<Profile> {
    return this.#http.request({ ...options, method: 'GET', path: `/v1/users/${segment(id)}` });
  }
}
