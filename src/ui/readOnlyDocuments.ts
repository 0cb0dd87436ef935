// Read-only views of files the user must not edit: a thread's transcript (its rollout) and a
// server's stderr tail. A document of this scheme follows appends while it is open.
import * as fs from 'node:fs';
import * as vscode from 'vscode';

export const READ_ONLY_SCHEME = 'codex-thread-context-file';
const MAX_BYTES = 32 * 1024 * 1024;

export class ReadOnlyDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {
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
    try {
      const w = fs.watch(file, { persistent: false }, () => this.changed.fire(uri));
      w.on('error', () => {
        w.close();
        this.watchers.delete(key);
      });
      this.watchers.set(key, w);
    } catch {
      // missing file: the content says so
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
