// A private, throw-away world for one code-server run: HOME, XDG dirs, TMPDIR and CODEX_HOME
// (laid out by CodexTestHome, so suite code can `CodexTestHome.attach(root)` to it), a workspace
// folder (the home's work dir, where test threads run by default), and code-server's user-data and
// extensions folders with user settings that keep the workbench quiet and offline.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { CodexTestHome, type CodexConfigOptions } from '../../support/codexTestHome';

/** Variables the harness gives code-server (and so the extension host and the suite). */
export const HARNESS_ROOT_ENV = 'CODEX_TC_HARNESS_ROOT';
/** Path of a JSON file with the same facts, for hosts that do not pass the server's environment on. */
export const HARNESS_INFO_ENV = 'CODEX_TC_HARNESS_INFO';

/** What the suite learns about its world (written to `<root>/harness.json`). */
export interface HarnessInfo {
  root: string;
  home: string;
  codexHome: string;
  workspace: string;
  /** VS Code's user data folder of this run (global storage under User/globalStorage/<extension id>). */
  userDataDir: string;
  /** The environment the harness built (HOME, CODEX_HOME, XDG_*, TMPDIR, PATH...). */
  env: Record<string, string>;
}

export interface HarnessProfileOptions {
  /** Temp folder name prefix. */
  prefix?: string;
  /** Initial config.toml. Default: the mock-model shape with an unreachable model URL (the suite starts its own mock). */
  codexConfig?: CodexConfigOptions;
  /** More user settings (merged over the defaults). */
  settings?: Record<string, unknown>;
  /** Extra variables for the environment. */
  env?: Record<string, string>;
}

/** Port 9 (discard): nothing listens, so a test that forgot to start its mock fails at once. */
export const UNSTARTED_MODEL_URL = 'http://127.0.0.1:9/v1';

/** bash: the shell VS Code's shell integration supports that every Linux and macOS machine has. */
function interactiveShell(): string {
  for (const candidate of ['/bin/bash', '/usr/bin/bash', '/usr/local/bin/bash']) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('the integration harness needs bash (its terminal tests rely on shell integration)');
}

export class HarnessProfile {
  readonly codex: CodexTestHome;
  readonly workspace: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly infoFile: string;
  private readonly baseEnv: Record<string, string>;

  private constructor(codex: CodexTestHome, options: HarnessProfileOptions) {
    this.codex = codex;
    this.workspace = codex.workDir;
    this.userDataDir = path.join(codex.root, 'vscode', 'user-data');
    this.extensionsDir = path.join(codex.root, 'vscode', 'extensions');
    this.infoFile = path.join(codex.root, 'harness.json');
    for (const dir of [this.userDataDir, this.extensionsDir]) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    codex.writeConfig(options.codexConfig ?? { modelBaseUrl: UNSTARTED_MODEL_URL });

    const shell = interactiveShell();
    const env = codex.env({ SHELL: shell, [HARNESS_ROOT_ENV]: codex.root, [HARNESS_INFO_ENV]: this.infoFile, ...options.env });
    this.baseEnv = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));

    const settings = {
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'security.workspace.trust.enabled': false,
      'git.enabled': false,
      'chat.disableAIFeatures': true,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      // Readable terminal text (.xterm-rows) in a headless browser.
      'terminal.integrated.gpuAcceleration': 'off',
      // Terminals run bash whatever the machine's default is: CI runs as root with no SHELL set,
      // where VS Code would fall back to /bin/sh, which has no shell integration.
      'terminal.integrated.profiles.linux': { bash: { path: shell } },
      'terminal.integrated.defaultProfile.linux': 'bash',
      'terminal.integrated.profiles.osx': { bash: { path: shell } },
      'terminal.integrated.defaultProfile.osx': 'bash',
      // Terminals start a login shell that resets PATH; give them the harness's variables again.
      'terminal.integrated.env.linux': { PATH: this.baseEnv.PATH, CODEX_HOME: codex.codexHome },
      ...options.settings,
    };
    for (const scope of ['User', 'Machine']) {
      const dir = path.join(this.userDataDir, scope);
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify(settings, null, 2) + '\n');
    }
    const info: HarnessInfo = { root: codex.root, home: codex.home, codexHome: codex.codexHome, workspace: this.workspace, userDataDir: this.userDataDir, env: this.baseEnv };
    fs.writeFileSync(this.infoFile, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  }

  static create(options: HarnessProfileOptions = {}): HarnessProfile {
    return new HarnessProfile(CodexTestHome.create({ prefix: options.prefix ?? 'ctc-vscode-' }), options);
  }

  get root(): string {
    return this.codex.root;
  }

  /** The environment for code-server (built from scratch, see CodexTestHome.env), plus `extra`. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return { ...this.baseEnv, ...extra };
  }

  /** Removes the whole temp root (kept when CODEX_TEST_KEEP_HOME is set). */
  cleanup(): void {
    this.codex.cleanup();
  }
}
