// The corpus of real-world config.toml shapes (test/unit/codexConfig/corpus/*.toml), shared by the
// editor's round-trip tests and the real-Codex acceptance test.

import * as fs from 'node:fs';
import * as path from 'node:path';

export const CORPUS_DIR = path.resolve(__dirname, '../../../../test/unit/codexConfig/corpus');

export function corpusFiles(): string[] {
  return fs.readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.toml')).sort();
}
