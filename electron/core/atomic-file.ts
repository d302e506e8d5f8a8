/**
 * Writing a small file so that a reader (or a crash) never sees half of it: the text goes
 * to a temporary file beside it, which is then renamed over the old one (a rename within
 * one folder is atomic). Used for the app's state, its plain-file secrets and the running
 * app's instance record; all of them are the user's only (0600).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function writeFileAtomically(file: string, text: string, mode = 0o600): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  await rename(temporary, file);
}
