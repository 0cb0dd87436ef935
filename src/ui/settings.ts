// The extension's settings (documented in package.json and the README), read in one place.
import * as vscode from 'vscode';
import { resolveCodexHome } from '../core/codexHome';
import { resolveStoreRoot } from '../core/store/storeLocation';

export interface Settings {
  codexHome: string;
  storeRoot: string;
  endedThreadDays: number;
  writeThreadContext: boolean;
}

export const SECTION = 'codexThreadContext';

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const codexHome = resolveCodexHome(process.env, c.get<string>('codexHome'));
  const days = c.get<number>('endedThreadDays', 7);
  return {
    codexHome,
    storeRoot: resolveStoreRoot(process.env, c.get<string>('storeDirectory'), codexHome),
    endedThreadDays: Number.isFinite(days) ? Math.min(Math.max(days, 0), 90) : 7,
    writeThreadContext: c.get<boolean>('writeThreadContext', true),
  };
}
