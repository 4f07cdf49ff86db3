// Runs a command (an Evidence step: npx, then vite, then esbuild) in a process group of its own that
// ends with the process that started it, however that one ends. A stop (a job's time limit, Ctrl-C)
// signals the group; a kill -9 or a crash of the platform runs no code at all, so a small guard
// process sits between: it holds one end of a pipe whose other end only the platform holds, and
// when the kernel closes it (the platform gone) it ends the group. Without it a killed platform left
// a build taking a core for a minute, beside the next platform's build in the same working copy.
import { spawn } from 'node:child_process';

/** How long the group gets to end on SIGTERM before SIGKILL. */
const GRACE_MS = 5_000;

/**
 * The guard, run by node itself (nothing to build or resolve): the command joins the guard's
 * group, and the group ends when the guard's stdin closes or the guard is told to stop.
 */
const GUARD = `
const { spawn } = require('node:child_process');
const [command, ...args] = process.argv.slice(1);
const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
let ending = false;
const end = () => {
  if (ending) return;
  ending = true;
  try { process.kill(0, 'SIGTERM'); } catch {}
  setTimeout(() => { try { process.kill(0, 'SIGKILL'); } catch {} }, ${GRACE_MS});
};
process.on('SIGTERM', end);
process.on('SIGINT', end);
process.stdin.on('end', end);
process.stdin.on('error', end);
process.stdin.resume();
child.on('error', (error) => { process.stderr.write(command + ': ' + error.message + '\\n'); process.exit(127); });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
`;

/**
 * Runs `command` in `cwd` until it exits; rejects with its last output when it fails, or when
 * `signal` stops it. The group also ends when this process exits, however it exits.
 */
export function runInGroup(command: string, args: string[], cwd: string, options: { signal?: AbortSignal; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  const { signal } = options;
  // stdin stays open, never written: its closing is the guard's sign that this process is gone.
  const guard = spawn(process.execPath, ['-e', GUARD, command, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env, detached: true });
  guard.stdin.on('error', () => undefined);
  const stop = () => {
    try {
      process.kill(guard.pid!, 'SIGTERM');
    } catch {
      // Already gone.
    }
  };
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop, { once: true });
    // A clean exit (Ctrl-C) ends it at once rather than when the pipe closes.
    process.once('exit', stop);
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    guard.stdout.on('data', keep);
    guard.stderr.on('data', keep);
    guard.once('error', reject);
    guard.once('close', (code) => {
      signal?.removeEventListener('abort', stop);
      process.removeListener('exit', stop);
      guard.stdin.destroy();
      if (signal?.aborted) reject(new Error(`${command} ${args.join(' ')} stopped: ${String(signal.reason)}`));
      else if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}):\n${output}`));
    });
  });
}
