import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../test/fixtures/prometheus-text.js';
import { toPrometheusText } from './prometheus-text.js';

describe('Prometheus text format', () => {
  it('writes HELP, TYPE and samples, escaping label values and help text', () => {
    const text = toPrometheusText([
      { name: 'demo_lag', type: 'gauge', help: 'Lag\\with a backslash\nand a newline.', samples: [{ labels: { topic: 'a"b\\c\nd' }, value: 3 }, { labels: { topic: 'plain' }, value: 0.5 }] },
      { name: 'demo_events_total', type: 'counter', help: 'Events.', samples: [{ value: 12 }] },
      { name: 'demo_nothing', type: 'gauge', help: 'Left out: no samples.', samples: [] },
    ]);
    expect(text).toBe([
      '# HELP demo_lag Lag\\\\with a backslash\\nand a newline.',
      '# TYPE demo_lag gauge',
      'demo_lag{topic="a\\"b\\\\c\\nd"} 3',
      'demo_lag{topic="plain"} 0.5',
      '# HELP demo_events_total Events.',
      '# TYPE demo_events_total counter',
      'demo_events_total 12',
      '',
    ].join('\n'));
    const parsed = parsePrometheusText(text);
    expect(parsed.get('demo_lag')!.samples[0]!.labels.topic).toBe('a"b\\c\nd');
    expect(parsed.has('demo_nothing')).toBe(false);
  });

  it('writes NaN and infinities as Prometheus spells them', () => {
    const text = toPrometheusText([{ name: 'x', type: 'gauge', help: 'x', samples: [{ labels: { v: 'nan' }, value: NaN }, { labels: { v: 'inf' }, value: Infinity }, { labels: { v: 'ninf' }, value: -Infinity }] }]);
    expect(text).toContain('x{v="nan"} NaN\nx{v="inf"} +Inf\nx{v="ninf"} -Inf\n');
    expect(parsePrometheusText(text).get('x')!.samples.map((s) => s.value)).toEqual([NaN, Infinity, -Infinity]);
  });

  it('refuses names a scraper would reject, and a family listed twice', () => {
    expect(() => toPrometheusText([{ name: 'bad-name', type: 'gauge', help: '', samples: [{ value: 1 }] }])).toThrow('not a valid Prometheus metric name');
    expect(() => toPrometheusText([{ name: 'ok', type: 'gauge', help: '', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] }])).toThrow('label name');
    expect(() => toPrometheusText([{ name: 'ok', type: 'gauge', help: '', samples: [{ labels: { __reserved: 'x' }, value: 1 }] }])).toThrow('label name');
    const twice = { name: 'ok', type: 'gauge' as const, help: '', samples: [{ value: 1 }] };
    expect(() => toPrometheusText([twice, twice])).toThrow('listed twice');
  });

  it('writes nothing at all for no samples', () => {
    expect(toPrometheusText([])).toBe('');
  });
});
