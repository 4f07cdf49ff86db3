// The configuration as `steveslist config` prints it: passwords, keys and tokens hidden wherever
// they sit, as a setting of their own or inside a URL.
import { redactUrl } from './redact-url.js';

const SECRET_KEY = /password|secret|api_?key|token/i;
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

export function redactConfig(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key)) return '***';
    return URL_LIKE.test(value) ? redactUrl(value) : value;
  }
  if (Array.isArray(value)) return value.map((item) => redactConfig(item, key));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, redactConfig(item, name)]));
  }
  return value;
}
