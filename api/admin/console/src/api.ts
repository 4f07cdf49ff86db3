// The admin API as the console calls it: the session travels in the HttpOnly cookie the browser
// sends by itself; changes add the CSRF token from the readable cookie the log-in set.
export class ApiFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly field?: string) {
    super(message);
  }
}

function csrfToken(): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [name, value] = part.trim().split('=');
    if (name === 'sl_csrf' || name === '__Host-sl_csrf') return value;
  }
  return undefined;
}

/** Called when the API says the session is gone, so the shell can show the log-in again. */
let onSignedOut: () => void = () => undefined;
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') {
    const csrf = csrfToken();
    if (csrf) headers['x-csrf-token'] = csrf;
  }
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (!response.ok) {
    let error: { error?: string; message?: string; field?: string } = {};
    try {
      error = await response.json() as typeof error;
    } catch {
      error = { message: `${response.status} ${response.statusText}` };
    }
    const failure = new ApiFailure(response.status, error.error ?? 'error', error.message ?? `${response.status} ${response.statusText}`, error.field);
    if (response.status === 401 && path !== '/admin/session') onSignedOut();
    throw failure;
  }
  return response;
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await send(method, path, body);
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function apiBlob(method: string, path: string, body?: unknown): Promise<Blob> {
  return (await send(method, path, body)).blob();
}

/** `?a=1&b=2` from the defined, non-empty values. */
export function query(values: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

export interface PageOf<T> {
  data: T[];
  next_cursor: string | null;
}
