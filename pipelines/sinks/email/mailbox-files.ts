// Reading the local mailbox's .eml files for the admin server: a listing with the headers people
// look for, and one message whole. Only names the mailbox itself writes are accepted, so a
// request can never reach another file.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../../../core/errors.js';

export const MAILBOX_FILE = /^\d{13}-\d{6}\.eml$/;

export interface MailboxEntry {
  file: string;
  size: number;
  received_at: string;
  from: string | null;
  to: string | null;
  subject: string | null;
}

/** A header's value, with folded continuation lines joined; encoded words are left as sent. */
function headerOf(head: string, name: string): string | null {
  const match = new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(head);
  return match ? match[1]!.replace(/\r?\n[ \t]+/g, ' ').trim() : null;
}

/** Newest first, at most `limit`. */
export async function listMailbox(dir: string, limit: number): Promise<MailboxEntry[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((file) => MAILBOX_FILE.test(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const newest = files.sort().reverse().slice(0, limit);
  return Promise.all(newest.map(async (file) => {
    const path = join(dir, file);
    const [info, text] = await Promise.all([stat(path), readFile(path, 'utf8')]);
    const head = text.split(/\r?\n\r?\n/, 1)[0] ?? '';
    return {
      file, size: info.size, received_at: new Date(Number(file.slice(0, 13))).toISOString(),
      from: headerOf(head, 'From'), to: headerOf(head, 'To'), subject: headerOf(head, 'Subject'),
    };
  }));
}

export async function readMailboxFile(dir: string, file: string): Promise<string> {
  if (!MAILBOX_FILE.test(file)) throw new NotFoundError(`${file} is not a message in the mailbox`);
  try {
    return await readFile(join(dir, file), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`${file} is not a message in the mailbox`);
    throw error;
  }
}
