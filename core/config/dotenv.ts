import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/**
 * Reads a `.env` file if there is one. Variables already set in the environment win, so a
 * one-off `PORT=4000 npm start` overrides the file.
 */
export function withDotEnv(env: NodeJS.ProcessEnv, path: string): NodeJS.ProcessEnv {
  if (!existsSync(path)) return env;
  const fromFile = parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
  return { ...fromFile, ...env };
}
