// The config.toml files Codex reads for this workspace, read with the config reader and read
// again when one of them is created, changed or deleted (file-system events, no polling).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { codexConfigFiles, readCodexConfigFile } from '../../core/codexConfig';
import type { CodexConfigFile } from '../../core/codexConfig/types';

export class CodexConfigFiles implements vscode.Disposable {
  private files: CodexConfigFile[] = [];
  private watchers: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private loading: Promise<void> | undefined;
  private reported = new Map<string, string>();

  constructor(private readonly log: vscode.LogOutputChannel) {}

  get current(): readonly CodexConfigFile[] {
    return this.files;
  }

  /** Watches and reads the files for this Codex home and these folders (again, when they change). */
  use(codexHome: string, folders: readonly string[]): Promise<void> {
    for (const w of this.watchers) {
      w.dispose();
    }
    const paths = codexConfigFiles(codexHome, folders);
    this.watchers = paths.map((file) => {
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
      const reload = (): void => void this.load(paths);
      return vscode.Disposable.from(w, w.onDidChange(reload), w.onDidCreate(reload), w.onDidDelete(reload));
    });
    return this.load(paths);
  }

  whenIdle(): Promise<void> {
    return this.loading ?? Promise.resolve();
  }

  private load(paths: string[]): Promise<void> {
    const run = (async () => {
      const files = await Promise.all(
        paths.map((file) =>
          readCodexConfigFile(file).catch((err: Error): CodexConfigFile => ({ file, exists: true, servers: [], error: { message: `cannot read it: ${err.message}`, line: 1, column: 1 } })),
        ),
      );
      for (const f of files) {
        const problem = f.error ? `${f.error.message} (line ${f.error.line}, column ${f.error.column})` : '';
        if (this.reported.get(f.file) !== problem) {
          if (problem) {
            this.log.warn(`config: ${f.file} is not valid TOML: ${problem}; its servers are not listed`);
          } else if (this.reported.has(f.file)) {
            this.log.info(`config: ${f.file} reads again`);
          }
          this.reported.set(f.file, problem);
        }
      }
      this.log.debug(`config: ${files.filter((f) => f.exists).length} config file(s), ${files.reduce((n, f) => n + f.servers.length, 0)} MCP server(s)`);
      this.files = files;
      this.changed.fire();
    })();
    this.loading = run.finally(() => {
      if (this.loading === tracked) {
        this.loading = undefined;
      }
    });
    const tracked = this.loading;
    return run;
  }

  dispose(): void {
    for (const w of this.watchers) {
      w.dispose();
    }
    this.changed.dispose();
  }
}
