// Read-only views of files the user must not edit: a thread's transcript (its rollout) and a
// server's stderr tail. A document of this scheme follows appends while it is open.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Log } from './log';
import { watchFolder } from '../core/watchFolder';

export const READ_ONLY_SCHEME = 'codex-thread-context-file';
const MAX_BYTES = 32 * 1024 * 1024;

export class ReadOnlyDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly log: Log) {
    this.disposables.push(
      this.changed,
      vscode.workspace.registerTextDocumentContentProvider(READ_ONLY_SCHEME, this),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        const key = doc.uri.toString();
        this.watchers.get(key)?.close();
        this.watchers.delete(key);
      }),
    );
  }

  /** Opens `file` read-only in an editor; it follows appends while open. */
  async open(file: string, language?: string): Promise<vscode.TextEditor> {
    const uri = vscode.Uri.file(file).with({ scheme: READ_ONLY_SCHEME });
    let doc = await vscode.workspace.openTextDocument(uri);
    if (language) {
      const known = await vscode.languages.getLanguages();
      if (known.includes(language)) {
        doc = await vscode.languages.setTextDocumentLanguage(doc, language);
      }
    }
    return vscode.window.showTextDocument(doc, { preview: true });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const file = uri.fsPath;
    this.follow(uri, file);
    try {
      const size = fs.statSync(file).size;
      if (size <= MAX_BYTES) {
        return fs.readFileSync(file, 'utf8');
      }
      const fd = fs.openSync(file, 'r');
      try {
        const buf = Buffer.alloc(MAX_BYTES);
        fs.readSync(fd, buf, 0, MAX_BYTES, size - MAX_BYTES);
        return `[first ${size - MAX_BYTES} bytes not shown]\n` + buf.toString('utf8');
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      this.log.warn(`cannot read ${file}: ${(err as Error).message}`);
      return `Cannot read ${file}: ${(err as Error).message}`;
    }
  }

  private follow(uri: vscode.Uri, file: string): void {
    const key = uri.toString();
    if (this.watchers.has(key)) {
      return;
    }
    // The folder, not the file: a log that does not exist yet, or is replaced, is still followed.
    const name = path.basename(file);
    // No folder: the content says the file cannot be read.
    const w = watchFolder(
      path.dirname(file),
      (changed) => {
        if (!changed || changed === name) {
          this.changed.fire(uri);
        }
      },
      () => this.watchers.delete(key),
    );
    if (w) {
      this.watchers.set(key, w);
    }
  }

  dispose(): void {
    for (const w of this.watchers.values()) {
      w.close();
    }
    this.watchers.clear();
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}
