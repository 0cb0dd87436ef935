// Which config.toml files Codex reads MCP servers from. Measured with the pinned Codex 0.169
// (`codex mcp list --json`, private CODEX_HOME): besides <codex home>/config.toml it reads
// `.codex/config.toml` in the project's folders, from the project root (the git repository's
// root, else the working directory) down to the working directory, and only when that project is
// trusted (`[projects."<root>"] trust_level = "trusted"` in the home config, which Codex writes
// when the user trusts a folder). An untrusted project's file is ignored without a word.

import * as path from 'node:path';

/**
 * The config files the pinned Codex reads for a workspace: <codexHome>/config.toml and
 * <folder>/.codex/config.toml of each workspace folder (read by Codex when the folder, or the git
 * repository it is in, is a trusted project). Existing or not; no duplicates.
 */
export function codexConfigFiles(codexHome: string, workspaceFolders: readonly string[]): string[] {
  const files = [path.join(codexHome, 'config.toml'), ...workspaceFolders.map((f) => path.join(f, '.codex', 'config.toml'))];
  return [...new Set(files.map((f) => path.resolve(f)))];
}
