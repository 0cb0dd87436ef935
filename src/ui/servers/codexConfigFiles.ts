// The config.toml files Codex reads for this workspace, read with the config reader and read
// again when one of them is created, changed or deleted (file-system events, no polling).
import * as vscode from 'vscode';
import type { Log } from '../log';
import { codexConfigFiles, readCodexConfigFile } from '../../core/codexConfig';
import type { CodexConfigFile } from '../../core/codexConfig/types';
import { FilesWatcher } from '../../core/workspace/filesWatcher';

export class CodexConfigFiles implements vscode.Disposable {
  private files: CodexConfigFile[] = [];
  private watcher: FilesWatcher | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private loading: Promise<void> | undefined;
  /** Loads can overlap (an event during a read): only the one started last may set the files. */
  private generation = 0;
  private reported = new Map<string, string>();

  constructor(private readonly log: Log) {}

  get current(): readonly CodexConfigFile[] {
    return this.files;
  }

  /** Watches and reads the files for this Codex home and these folders (again, when they change). */
  use(codexHome: string, folders: readonly string[]): Promise<void> {
    this.watcher?.dispose();
    const paths = codexConfigFiles(codexHome, folders);
    this.watcher = new FilesWatcher(paths, () => void this.load(paths));
    return this.load(paths);
  }

  whenIdle(): Promise<void> {
    return this.loading ?? Promise.resolve();
  }

  private load(paths: string[]): Promise<void> {
    const generation = ++this.generation;
    const run = (async () => {
      const files = await Promise.all(
        paths.map((file) =>
          readCodexConfigFile(file).catch((err: Error): CodexConfigFile => ({ file, exists: true, servers: [], error: { message: `cannot read it: ${err.message}`, line: 1, column: 1 } })),
        ),
      );
      if (generation !== this.generation) {
        return; // a newer read started meanwhile: what this one read may be stale
      }
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
    this.watcher?.dispose();
    this.changed.dispose();
  }
}
