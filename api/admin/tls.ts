// TLS with client certificates for the admin service: only staff machines holding a certificate
// signed by the configured CA get a connection at all; the session token is still needed on top.
import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';
import { EnvironmentError } from '../../core/errors.js';

/** PEM texts. */
export interface AdminTls {
  cert: string;
  key: string;
  ca: string;
}

export function httpsOptions(tls: AdminTls): ServerOptions {
  return { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' };
}

/** Reads the files ADMIN_TLS_CERT, ADMIN_TLS_KEY and ADMIN_TLS_CA name. */
export function loadAdminTls(paths: { certPath: string; keyPath: string; caPath: string }): AdminTls {
  const read = (setting: string, path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new EnvironmentError(`${setting}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  };
  return { cert: read('ADMIN_TLS_CERT', paths.certPath), key: read('ADMIN_TLS_KEY', paths.keyPath), ca: read('ADMIN_TLS_CA', paths.caPath) };
}
