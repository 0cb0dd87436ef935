// Read-only documents holding the text a wrap/unwrap would write, so `vscode.diff` can show the
// file beside it before anything is changed.

import * as vscode from 'vscode';

export const PROPOSED_SCHEME = 'codex-thread-context-proposed';

export class ProposedTextProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private next = 0;

  /** A fresh URI for `text`; its path ends like the file's, so the diff gets TOML colouring. */
  show(file: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: file, query: String(++this.next) });
    this.texts.set(uri.toString(), text);
    return uri;
  }

  forget(uri: vscode.Uri): void {
    this.texts.delete(uri.toString());
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  dispose(): void {
    this.changed.dispose();
    this.texts.clear();
  }
}
