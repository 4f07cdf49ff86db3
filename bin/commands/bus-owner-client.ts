// Calls the admin service of the process that owns the embedded bus, with the secret it left for
// local commands: how `steveslist dlq` works while the platform runs.
import { userInfo } from 'node:os';
import { EnvironmentError, ServiceUnavailable } from '../../core/errors.js';
import { LOCAL_USER_HEADER } from '../../api/admin/local-commands.js';
import type { BusOwner } from '../../pipelines/bus/embedded/bus-owner.js';

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export async function callBusOwner<T>(owner: BusOwner, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const url = `${owner.admin}${path}`;
  const headers: Record<string, string> = { authorization: `Bearer ${owner.secret}`, [LOCAL_USER_HEADER]: localUser() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    const tls = owner.admin.startsWith('https:') ? ' With ADMIN_TLS_* set, it admits only clients with a certificate, which local commands do not have: stop the platform to use this command.' : '';
    throw new ServiceUnavailable(
      `the platform (process ${owner.pid}) owns the embedded bus, and this command goes through its admin service, but ${owner.admin} cannot be reached (${why}).${tls} Check the platform's log; the admin service listens on ADMIN_HOST/ADMIN_PORT.`,
      { cause: error },
    );
  }
  const text = await response.text();
  let answer: { message?: string } | undefined;
  try {
    answer = JSON.parse(text) as { message?: string };
  } catch {
    answer = undefined;
  }
  if (response.status === 401) {
    throw new EnvironmentError(`the platform's admin service at ${owner.admin} refused this command's local secret: the platform (process ${owner.pid}) may have restarted meanwhile; try again`);
  }
  if (!response.ok) throw new EnvironmentError(`the platform's admin service at ${owner.admin} answered ${method} ${path} with ${response.status}: ${answer?.message ?? text.slice(0, 500)}`);
  return answer as T;
}
