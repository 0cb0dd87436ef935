// Reads a config.toml for editing and writes the edited text back safely: only if the file still
// holds the text the edit was computed from, with a backup of what it held (`config.toml.bak`, as
// Codex keeps one), through a temp file and a rename, so Codex never reads half a file.

import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ConfigSnapshot {
  file: string;
  exists: boolean;
  text: string;
}

export class ConfigChangedError extends Error {
  constructor(readonly file: string) {
    super(`${file} changed since it was read; nothing was written (read it again and retry)`);
  }
}

export class ConfigEncodingError extends Error {
  constructor(readonly file: string) {
    super(`${file} is not UTF-8 text; nothing was written`);
  }
}

/** The file's text; a missing file reads as empty. Refuses bytes that are not valid UTF-8. */
export async function readConfigSnapshot(file: string): Promise<ConfigSnapshot> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return { file, exists: false, text: '' };
    }
    throw e;
  }
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) {
    // Decoding replaced something: writing the text back would change bytes the edit never touched.
    throw new ConfigEncodingError(file);
  }
  return { file, exists: true, text };
}

/**
 * Writes `newText` to the snapshot's file if the file still holds `snapshot.text`. Keeps the old
 * content as `<file>.bak`. A symlinked config (dotfile managers) is written through to its target.
 * The file keeps its permission bits.
 */
export async function writeConfigText(snapshot: ConfigSnapshot, newText: string): Promise<void> {
  const current = await readConfigSnapshot(snapshot.file);
  if (current.exists !== snapshot.exists || current.text !== snapshot.text) {
    throw new ConfigChangedError(snapshot.file);
  }
  if (newText === snapshot.text) {
    return;
  }
  const target = snapshot.exists ? await fs.promises.realpath(snapshot.file) : path.resolve(snapshot.file);
  const dir = path.dirname(target);
  await fs.promises.mkdir(dir, { recursive: true });
  const mode = snapshot.exists ? (await fs.promises.stat(target)).mode & 0o777 : 0o600;
  if (snapshot.exists) {
    await writeAtomic(`${target}.bak`, snapshot.text, mode);
  }
  // Last check right before the rename: the window for a concurrent writer is as small as it gets.
  const again = await readConfigSnapshot(snapshot.file);
  if (again.exists !== snapshot.exists || again.text !== snapshot.text) {
    throw new ConfigChangedError(snapshot.file);
  }
  await writeAtomic(target, newText, mode);
}

async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await fs.promises.open(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, mode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.promises.chmod(tmp, mode);
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
}
