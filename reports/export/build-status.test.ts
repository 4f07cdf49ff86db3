// The dashboards' build lock and status file: one build at a time across processes, and a builder
// that died neither blocks the next build nor shows as still building.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { buildsDir, readBuildStatus, takeBuildLock, writeBuildStatus } from './build-status.js';

const dir = tempDir();
afterAll(() => dir.remove());

/** The pid of a process that has ended. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('the dashboards build lock', () => {
  it('is held by one builder at a time and free again once released', () => {
    const release = takeBuildLock(dir.path);
    expect(release).toBeTypeOf('function');
    expect(takeBuildLock(dir.path)).toBeUndefined();
    release!();
    const again = takeBuildLock(dir.path);
    expect(again).toBeTypeOf('function');
    again!();
  });

  it('is taken over from a builder that died holding it', () => {
    writeFileSync(join(buildsDir(dir.path), '.lock'), String(deadPid()));
    const release = takeBuildLock(dir.path);
    expect(release).toBeTypeOf('function');
    release!();
  });
});

describe('the dashboards build status', () => {
  it('reads back what was written, and drops the stage of a builder that died', () => {
    const last = { outcome: 'built' as const, startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:02:00.000Z', dataAsOf: '2026-01-01T00:00:01.000Z', summary: 'dashboards rebuilt' };
    writeBuildStatus(dir.path, { building: { pid: process.pid, startedAt: 'x', stage: 'build', stageStartedAt: 'y' }, last });
    expect(readBuildStatus(dir.path)).toEqual({ building: { pid: process.pid, startedAt: 'x', stage: 'build', stageStartedAt: 'y' }, last });
    writeBuildStatus(dir.path, { building: { pid: deadPid(), startedAt: 'x', stage: 'sources', stageStartedAt: 'y' }, last });
    expect(readBuildStatus(dir.path)).toEqual({ last });
  });

  it('is empty before the first build', () => {
    expect(readBuildStatus(join(dir.path, 'never-built'))).toEqual({});
  });
});
