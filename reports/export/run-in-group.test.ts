// Real processes: a command that starts a child of its own (as npx starts vite), run by a process
// that is then killed with -9, stopped by a signal, or left to finish.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../../test/fixtures/eventually.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { runInGroup } from './run-in-group.js';

const dir = tempDir();
afterAll(() => dir.remove());

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A shell that starts a grandchild and writes both pids, then waits for it (a build's npx and vite). */
const twoLevels = (pids: string, seconds: number) => ['-c', `sleep ${seconds} & echo "$$ $!" > ${pids}; wait`];

const readPids = async (file: string) => {
  await until(() => existsSync(file) && readFileSync(file, 'utf8').trim().split(' ').length === 2, (ready) => ready);
  return readFileSync(file, 'utf8').trim().split(' ').map(Number);
};

describe('running a build step in a group of its own', () => {
  it('ends the step and its children when the process that ran it is killed with -9', async () => {
    const pids = join(dir.path, 'killed.pids');
    const script = join(dir.path, 'runner.ts');
    writeFileSync(script, `import { runInGroup } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, 'run-in-group.ts')).href)};
runInGroup('sh', ${JSON.stringify(twoLevels(pids, 120))}, ${JSON.stringify(dir.path)}).catch(() => undefined);
setInterval(() => undefined, 1000);
`);
    const runner = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'ignore' });
    const [shell, grandchild] = await readPids(pids);
    expect(alive(shell!) && alive(grandchild!)).toBe(true);
    runner.kill('SIGKILL');
    // Nothing of the killed process ran: the guard saw its pipe close and ended the group.
    expect(await until(() => alive(shell!) || alive(grandchild!), (either) => !either, 10_000)).toBe(false);
  });

  it('ends the group when stopped, and says so', async () => {
    const pids = join(dir.path, 'stopped.pids');
    const stop = new AbortController();
    const run = runInGroup('sh', twoLevels(pids, 120), dir.path, { signal: stop.signal });
    const [shell, grandchild] = await readPids(pids);
    stop.abort('the job ran out of time');
    await expect(run).rejects.toThrow(/stopped: the job ran out of time/);
    expect(await until(() => alive(shell!) || alive(grandchild!), (either) => !either, 10_000)).toBe(false);
  });

  it('resolves when the step succeeds and rejects with its output when it fails', async () => {
    await expect(runInGroup('sh', ['-c', 'echo built'], dir.path)).resolves.toBeUndefined();
    await expect(runInGroup('sh', ['-c', 'echo "no pages found" >&2; exit 3'], dir.path)).rejects.toThrow(/failed \(exit 3\):\nno pages found/);
    await expect(runInGroup('no-such-command-here', [], dir.path)).rejects.toThrow(/no-such-command-here/);
  });
});
