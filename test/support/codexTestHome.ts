// A private, throw-away home for one real Codex run: HOME, CODEX_HOME (= HOME/.codex), XDG dirs,
// TMPDIR and a work directory, all under one temp folder, plus a config.toml that points Codex at
// the mock model API and lists MCP servers. `env()` builds the environment from scratch (only
// PATH and locale are inherited), so nothing reads or writes the developer's ~/.codex and no
// real API key or CODEX_* variable leaks in.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** One `[mcp_servers.<name>]` table. Codex rejects unknown keys, so only real ones are offered. */
export interface McpServerConfig {
  command: string;
  args?: string[];
  /** Literal variables for the server (Codex gives servers an allowlisted environment). */
  env?: Record<string, string>;
  /** Names of variables copied from Codex's own environment. */
  envVars?: string[];
  cwd?: string;
  startupTimeoutSec?: number;
  toolTimeoutSec?: number;
  /** "approve" lets calls run without a prompt under a sandbox that would otherwise ask. */
  defaultToolsApprovalMode?: 'auto' | 'prompt' | 'approve';
  enabled?: boolean;
  required?: boolean;
}

export interface CodexConfigOptions {
  /** The mock's `baseUrl` (`http://127.0.0.1:<port>/v1`). */
  modelBaseUrl: string;
  mcpServers?: Record<string, McpServerConfig>;
  approvalPolicy?: 'never' | 'on-request' | 'on-failure' | 'untrusted';
  sandboxMode?: 'danger-full-access' | 'workspace-write' | 'read-only';
  /** Extra top-level TOML lines (placed before any table, so they stay top-level). */
  extraTopLevelToml?: string;
  /** Extra TOML appended at the end (tables). */
  extraTablesToml?: string;
}

export interface CodexTestHomeOptions {
  /** Folder name prefix under os.tmpdir(). */
  prefix?: string;
  /** Writes config.toml right away. */
  config?: CodexConfigOptions;
}

/** Set to keep the temp folders after the test (for debugging a failure). */
export const KEEP_HOME_ENV = 'CODEX_TEST_KEEP_HOME';

export class CodexTestHome {
  /** Everything lives under here; `cleanup()` removes it. */
  readonly root: string;
  /** HOME for Codex and everything it starts. */
  readonly home: string;
  /** CODEX_HOME; also `$HOME/.codex`, so default and explicit resolution agree. */
  readonly codexHome: string;
  /** A plain directory to use as the thread's cwd (not a git repo). */
  readonly workDir: string;
  readonly tmpDir: string;
  private readonly xdg: { config: string; data: string; cache: string; state: string; runtime: string };

  private constructor(root: string) {
    this.root = root;
    this.home = path.join(root, 'home');
    this.codexHome = path.join(this.home, '.codex');
    this.workDir = path.join(root, 'work');
    this.tmpDir = path.join(root, 'tmp');
    this.xdg = {
      config: path.join(root, 'xdg', 'config'),
      data: path.join(root, 'xdg', 'data'),
      cache: path.join(root, 'xdg', 'cache'),
      state: path.join(root, 'xdg', 'state'),
      runtime: path.join(root, 'xdg', 'runtime'),
    };
    for (const dir of [this.codexHome, this.workDir, this.tmpDir, ...Object.values(this.xdg)]) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
  }

  static create(options: CodexTestHomeOptions = {}): CodexTestHome {
    // realpath: on macOS os.tmpdir() is a symlink, and Codex reports canonical paths.
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), options.prefix ?? 'ctc-codex-')));
    const home = new CodexTestHome(root);
    if (options.config) {
      home.writeConfig(options.config);
    }
    return home;
  }

  /** A home created earlier, possibly by another process (the VS Code harness), from its `root`. */
  static attach(root: string): CodexTestHome {
    return new CodexTestHome(root);
  }

  get configPath(): string {
    return path.join(this.codexHome, 'config.toml');
  }

  /** (Re)writes config.toml. Returns the text, handy in failure messages. */
  writeConfig(options: CodexConfigOptions): string {
    const text = renderConfigToml(options);
    fs.writeFileSync(this.configPath, text, { mode: 0o600 });
    return text;
  }

  /**
   * The environment to spawn Codex with. Built from nothing: a developer's OPENAI_API_KEY,
   * CODEX_HOME or CODEX_THREAD_ID must not reach the test's Codex. `extra` adds variables;
   * an `undefined` value removes one.
   */
  env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: process.env.LANG ?? 'C.UTF-8',
      HOME: this.home,
      USER: process.env.USER ?? userName(),
      LOGNAME: process.env.LOGNAME ?? userName(),
      SHELL: process.env.SHELL ?? '/bin/sh',
      TERM: 'dumb',
      TMPDIR: this.tmpDir,
      CODEX_HOME: this.codexHome,
      XDG_CONFIG_HOME: this.xdg.config,
      XDG_DATA_HOME: this.xdg.data,
      XDG_CACHE_HOME: this.xdg.cache,
      XDG_STATE_HOME: this.xdg.state,
      XDG_RUNTIME_DIR: this.xdg.runtime,
    };
    for (const [key, value] of Object.entries(extra)) {
      if (value === undefined) {
        delete env[key];
      } else {
        env[key] = value;
      }
    }
    return env;
  }

  /** `$CODEX_HOME/thread-writer-locks` (0.169 holds `<tid>.lock` there while a thread is loaded). */
  get lockDir(): string {
    return path.join(this.codexHome, 'thread-writer-locks');
  }

  lockFile(threadId: string): string {
    return path.join(this.lockDir, `${threadId}.lock`);
  }

  get sessionsDir(): string {
    return path.join(this.codexHome, 'sessions');
  }

  /** Every rollout file under sessions/YYYY/MM/DD/, sorted by path. */
  rolloutFiles(): string[] {
    const out: string[] = [];
    const walk = (dir: string) => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          walk(full);
        } else if (/^rollout-.*\.jsonl$/.test(entry.name)) {
          out.push(full);
        }
      }
    };
    walk(this.sessionsDir);
    return out.sort();
  }

  /** The rollout file of a thread (`rollout-<time>-<tid>.jsonl`), if there is one. */
  rolloutFileOf(threadId: string): string | undefined {
    return this.rolloutFiles().find((f) => path.basename(f).endsWith(`-${threadId}.jsonl`));
  }

  /** Removes everything (unless CODEX_TEST_KEEP_HOME is set). Never throws. */
  cleanup(): void {
    if (process.env[KEEP_HOME_ENV]) {
      console.error(`[codexTestHome] kept ${this.root}`);
      return;
    }
    try {
      fs.rmSync(this.root, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
    } catch (err) {
      console.error(`[codexTestHome] could not remove ${this.root}: ${(err as Error).message}`);
    }
  }
}

/**
 * The first line of a rollout file, parsed (`{type:"session_meta", payload:{id, ...}}`). It can be
 * tens of KB (base instructions), so it is read in chunks up to `maxBytes`, never the whole file.
 */
export function readRolloutFirstLine(file: string, maxBytes = 4 * 1024 * 1024): Record<string, unknown> {
  const fd = fs.openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, total);
      if (n === 0) {
        break;
      }
      const chunk = buf.subarray(0, n);
      const nl = chunk.indexOf(0x0a);
      if (nl >= 0) {
        chunks.push(Buffer.from(chunk.subarray(0, nl)));
        return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      }
      chunks.push(Buffer.from(chunk));
      total += n;
      if (total > maxBytes) {
        throw new Error(`${file}: first line longer than ${maxBytes} bytes`);
      }
    }
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } finally {
    fs.closeSync(fd);
  }
}

/** Renders config.toml for the mock provider (see codex-facts.md, "Installing and running it offline"). */
export function renderConfigToml(options: CodexConfigOptions): string {
  const lines: string[] = [
    `model = "mock-model"`,
    `model_provider = "mock"`,
    `approval_policy = ${tomlString(options.approvalPolicy ?? 'never')}`,
    `sandbox_mode = ${tomlString(options.sandboxMode ?? 'danger-full-access')}`,
  ];
  if (options.extraTopLevelToml) {
    lines.push(options.extraTopLevelToml);
  }
  lines.push(
    '',
    '[model_providers.mock]',
    'name = "mock"',
    `base_url = ${tomlString(options.modelBaseUrl)}`,
    'wire_api = "responses"',
    // A failed request must fail the turn at once, not be retried with back-off.
    'request_max_retries = 0',
    'stream_max_retries = 0',
  );
  for (const [name, server] of Object.entries(options.mcpServers ?? {})) {
    lines.push('', `[mcp_servers.${tomlKey(name)}]`, `command = ${tomlString(server.command)}`);
    if (server.args) {
      lines.push(`args = ${tomlArray(server.args)}`);
    }
    if (server.cwd !== undefined) {
      lines.push(`cwd = ${tomlString(server.cwd)}`);
    }
    if (server.env) {
      lines.push(`env = ${tomlInlineTable(server.env)}`);
    }
    if (server.envVars) {
      lines.push(`env_vars = ${tomlArray(server.envVars)}`);
    }
    if (server.startupTimeoutSec !== undefined) {
      lines.push(`startup_timeout_sec = ${server.startupTimeoutSec}`);
    }
    if (server.toolTimeoutSec !== undefined) {
      lines.push(`tool_timeout_sec = ${server.toolTimeoutSec}`);
    }
    if (server.defaultToolsApprovalMode !== undefined) {
      lines.push(`default_tools_approval_mode = ${tomlString(server.defaultToolsApprovalMode)}`);
    }
    if (server.enabled !== undefined) {
      lines.push(`enabled = ${server.enabled}`);
    }
    if (server.required !== undefined) {
      lines.push(`required = ${server.required}`);
    }
  }
  if (options.extraTablesToml) {
    lines.push('', options.extraTablesToml);
  }
  return lines.join('\n') + '\n';
}

/** A TOML basic string. TOML wants every control character (and DEL) escaped. */
export function tomlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'codex-test'; // a uid without a passwd entry (some containers)
  }
}

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

function tomlArray(values: string[]): string {
  return `[${values.map(tomlString).join(', ')}]`;
}

function tomlInlineTable(values: Record<string, string>): string {
  return `{ ${Object.entries(values).map(([k, v]) => `${tomlKey(k)} = ${tomlString(v)}`).join(', ')} }`;
}
