import { describe, expect, it } from 'vitest';
import { escapeHtml } from './escape-html.js';

describe('escapeHtml', () => {
  it('escapes markup and double quotes, the ampersand first so nothing is escaped twice', () => {
    expect(escapeHtml('<b>"Tom & Jerry"</b>')).toBe('&lt;b&gt;&quot;Tom &amp; Jerry&quot;&lt;/b&gt;');
    expect(escapeHtml('&lt;')).toBe('&amp;lt;');
  });

  it('leaves other text as it is', () => {
    expect(escapeHtml('Zoë’s sofa, 3-seat')).toBe('Zoë’s sofa, 3-seat');
    expect(escapeHtml('')).toBe('');
  });
});
