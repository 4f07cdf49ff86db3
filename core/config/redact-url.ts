/** Returns the URL with its password replaced, so it can be logged or shown in an error. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    // Not a URL: hide anything between "//user:" and "@" the way a URL would carry a password.
    return raw.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
  }
}
