// What the rest of the project sees of Codex's config.toml files (the contract in CONTRACTS.md).

export interface McpServerConfig {
  /** The `[mcp_servers.X]` key, unquoted. */
  name: string;
  /** Absolute path of the config.toml it comes from. */
  file: string;
  /** 1-based line of its table header (or of the key, for inline tables and dotted keys). */
  line: number;
  /** 'http' when the table has `url` (Codex's streamable HTTP transport). */
  transport: 'stdio' | 'http';
  command?: string;
  args: string[];
  url?: string;
  cwd?: string;
  /** `enabled = false` gives false. */
  enabled: boolean;
  /** Its command runs the shim (the launcher, `codex-thread-shim`, or `node .../shim.js`). */
  wrapped: boolean;
  /** When wrapped: the real command and args, after the shim's `--`. */
  inner?: { command: string; args: string[] };
}

/** A place in a file, 1-based line and column. */
export interface ConfigProblem {
  message: string;
  line: number;
  column: number;
}

export interface CodexConfigFile {
  file: string;
  exists: boolean;
  servers: McpServerConfig[];
  /** Set when the file is not valid TOML: `servers` is then empty. */
  error?: ConfigProblem;
}
