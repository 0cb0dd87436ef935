// What the Threads view adds to a thread row from the terminal associations: the terminal's name
// in the description ("probably" while unproven), a `.inTerminal` context value for the Reveal
// Terminal action, and in the tooltip the terminal now and the ones it ran in before.
import type { ItemPresentation } from '../../core/workspace/treePresentation';
import type { PastTerminal } from '../../core/terminals/terminalAssociations';

export interface TerminalLookup {
  /** The terminal running the thread now. */
  now(threadId: string): { name: string; probable: boolean } | undefined;
  /** Terminals that ran it before (most recent last). */
  history(threadId: string): readonly PastTerminal[];
}

export function withTerminal(p: ItemPresentation, threadId: string, terminals: TerminalLookup | undefined): ItemPresentation {
  const now = terminals?.now(threadId);
  const past = terminals?.history(threadId) ?? [];
  if (!now && past.length === 0) {
    return p;
  }
  const lines: string[] = [];
  if (now) {
    lines.push(now.probable ? `Probably runs in terminal “${now.name}” (its working folder and start time fit; a turn in that terminal will prove it).` : `Runs in terminal “${now.name}”.`);
  }
  for (const h of past.slice(-3)) {
    lines.push(`Was in terminal “${h.terminalName}” until ${new Date(h.until).toLocaleTimeString()}.`);
  }
  const tooltip = p.tooltip;
  return {
    ...p,
    description: now ? `${p.description ?? ''} · ${now.probable ? 'probably in' : 'in'} ${now.name}`.replace(/^ · /, '') : p.description,
    contextValue: now ? `${p.contextValue}.inTerminal` : p.contextValue,
    tooltip: () => {
      const base = typeof tooltip === 'function' ? tooltip() : (tooltip ?? '');
      return `${base}\n\n${lines.join('\n\n')}`;
    },
  };
}
