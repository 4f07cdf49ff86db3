// ClickHouse's error contract over HTTP: the body `Code: N. DB::Exception: ... (NAME)`, the
// X-ClickHouse-Exception-Code header and an HTTP status that follows the code, as clients read them.

export interface ClickHouseException {
  code: number;
  name: string;
  message: string;
}

export const AUTHENTICATION_FAILED = { code: 516, name: 'AUTHENTICATION_FAILED' } as const;
export const READONLY = { code: 164, name: 'READONLY' } as const;
export const ACCESS_DENIED = { code: 497, name: 'ACCESS_DENIED' } as const;
export const TOO_MANY_SIMULTANEOUS_QUERIES = { code: 202, name: 'TOO_MANY_SIMULTANEOUS_QUERIES' } as const;
export const BAD_ARGUMENTS = { code: 36, name: 'BAD_ARGUMENTS' } as const;
export const UNKNOWN_SETTING = { code: 115, name: 'UNKNOWN_SETTING' } as const;

export function exception(kind: { code: number; name: string }, message: string): ClickHouseException {
  return { ...kind, message };
}

/** chDB throws ClickHouse's own text; anything else (a bug of ours) is an internal error. */
export function fromEngineError(error: unknown): ClickHouseException {
  const text = ((error as Error)?.message ?? String(error)).trim();
  const match = /Code: (\d+)\. DB::Exception: ([\s\S]*?)(?: \(([A-Z_]+)\))?(?: \(version [^)]*\))?\.?$/.exec(text);
  if (!match) return { code: 1001, name: 'STD_EXCEPTION', message: text };
  return { code: Number(match[1]), name: match[3] ?? 'UNKNOWN_EXCEPTION', message: match[2]!.replace(/\.$/, '') };
}

const BY_STATUS: [number, number[]][] = [
  [401, [516, 194, 195]], // AUTHENTICATION_FAILED, REQUIRED_PASSWORD, WRONG_PASSWORD
  [403, [164, 497, 452]], // READONLY, ACCESS_DENIED, SETTING_CONSTRAINT_VIOLATION
  [400, [62, 27, 6, 26, 38, 41, 69, 72, 36, 53, 43, 115, 117, 167, 168, 169, 131]],
  [404, [60, 81, 46, 47, 50, 73, 56, 107]], // UNKNOWN_TABLE/DATABASE/FUNCTION/IDENTIFIER/TYPE/FORMAT/STORAGE, FILE_DOESNT_EXIST
  [413, [301]],
  [501, [48]], // NOT_IMPLEMENTED
  [503, [202, 209]], // TOO_MANY_SIMULTANEOUS_QUERIES, SOCKET_TIMEOUT
];

export function httpStatusOf(code: number): number {
  return BY_STATUS.find(([, codes]) => codes.includes(code))?.[0] ?? 500;
}

export function exceptionBody(e: ClickHouseException, version: string): string {
  return `Code: ${e.code}. DB::Exception: ${e.message}. (${e.name}) (version ${version})\n`;
}
