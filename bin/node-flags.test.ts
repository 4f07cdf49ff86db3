// The platform's Node flags (bin/steveslist.js says why) are passed by every way of starting it:
// a launcher that forgot them would spend about 1.7 times as long collecting garbage while catching
// up (profiled), and nothing else would show it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS, ROOT } from '../test/fixtures/run-cli.js';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('the Node flags the platform runs with', () => {
  it('are on the command\'s first line, in package.json\'s scripts (the benches\' too), in the Dockerfile and in the tests\' runner', () => {
    expect(NODE_FLAGS).toEqual(['--max-semi-space-size=64']);
    expect(read('bin/steveslist.js').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['start', 'steveslist']) expect(scripts[name], name).toMatch(new RegExp(`^node ${NODE_FLAGS.join(' ')} bin/steveslist\\.js`));
    // The benches run the platform's code in their own process: with its flags, or they measure another collector.
    expect(scripts.bench).toBe(`node ${NODE_FLAGS.join(' ')} --import tsx bench/index.ts`);
    expect(read('deploy/Dockerfile')).toContain(`ENTRYPOINT ["node", ${NODE_FLAGS.map((flag) => `"${flag}"`).join(', ')}, "bin/steveslist.js"]`);
  });
});
