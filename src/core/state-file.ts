/**
 * Small state files that must survive a restart (the DNS last-known-good set, the critical-read
 * cache): written atomically (a temporary file in the same directory, synced, then `rename`, so a
 * reader sees the old file or the new one, never half of one) and read with a bound on size and
 * without throwing, so a damaged file is reported and ignored rather than trusted or fatal.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';

/** What {@link readStateFile} found: the text, or a problem (absent file: neither). */
export type StateFileRead =
  { readonly text: string } | { readonly text?: undefined; readonly problem: string | undefined };

/**
 * Reads `file` synchronously (once, at start-up) if it is at most `maxBytes` long; never throws.
 * A missing file is `{ problem: undefined }`; an oversized or unreadable one names the problem.
 *
 * @example
 * const read = readStateFile('/var/lib/app/cache.json', 1 << 20);
 * if (read.text !== undefined) restore(JSON.parse(read.text));
 */
export function readStateFile(file: string, maxBytes: number): StateFileRead {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    if (size > maxBytes) return { problem: `the file is larger than ${maxBytes} bytes` };
    const buf = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buf, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return { text: buf.toString('utf8', 0, read) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: code === 'ENOENT' ? undefined : `the file cannot be read (${code ?? String(error)})` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

let tmpCounter = 0;

/**
 * Writes `text` to `file` atomically: a temporary file beside it (mode 0600), synced, then a rename
 * over it.
 *
 * @example
 * await writeStateFile('/var/lib/app/cache.json', JSON.stringify(state));
 */
export async function writeStateFile(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${++tmpCounter}.tmp`;
  try {
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync(); // the data is on disk before the rename makes it visible
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}
