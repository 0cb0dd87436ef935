// The extension's log: a LogOutputChannel, plus the last lines kept in memory so the test API
// can show what the log said (the channel's own file is not reachable through the API).
import * as vscode from 'vscode';

export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string | Error): void;
  debug(message: string): void;
  show(preserveFocus?: boolean): void;
}

const KEEP = 500;

export class ExtensionLog implements Log, vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel('Codex Thread Context', { log: true });
  private readonly lines: string[] = [];

  recent(): string[] {
    return [...this.lines];
  }

  info(message: string): void {
    this.keep('info', message);
    this.channel.info(message);
  }

  warn(message: string): void {
    this.keep('warn', message);
    this.channel.warn(message);
  }

  error(message: string | Error): void {
    this.keep('error', String(message));
    this.channel.error(message);
  }

  debug(message: string): void {
    this.keep('debug', message);
    this.channel.debug(message);
  }

  show(preserveFocus?: boolean): void {
    this.channel.show(preserveFocus);
  }

  private keep(level: string, message: string): void {
    this.lines.push(`[${level}] ${message}`);
    if (this.lines.length > KEEP) {
      this.lines.splice(0, this.lines.length - KEEP);
    }
  }

  dispose(): void {
    this.channel.dispose();
  }
}
