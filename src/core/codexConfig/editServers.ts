// Wraps and unwraps MCP servers in a config.toml text, surgically: only the `command` value and the
// `args` value of the chosen servers change; every other byte of the file (comments, key order,
// blank lines, quoting, CRLF, a BOM, inline tables, dotted keys, profiles, other keys of the
// server's table) stays as it was. Pure: text in, text out; configFileWriter.ts does the I/O.
//
// How the wrapped form keeps the original bytes. Wrapping
//     command = <C>                 args = [<I>]
// gives
//     command = "<shim>"            args = ["--", <C>, <I>]
// where <C> is the original command value's source text, verbatim (its quotes and escapes), and
// <I> is the original array's inside, verbatim (spaces, line breaks, comments, trailing comma).
// The separator after <C> is always exactly ", ". So the wrapped array is an ordinary shim command
// line (`--`, then the real command and its args, in order) and unwrap cuts it apart again:
// command = the source text of the element after `--`; args = "[" + what follows ", " + "]".
// `args = []` becomes `["--", <C>, ]` (TOML allows the trailing comma), while a server with no
// `args` key gets `args = ["--", <C>]` written right after its command (on the next line, or after
// a comma in an inline table), which unwrap removes again, so the two stay distinguishable.
// An array written by hand (`["--", "npx", "-y", "x"]`) unwraps to the same values, with the
// spacing of its elements as written.

import type { AST } from 'toml-eslint-parser';
import { locateServers, stringArray, stringValue, type ServerLocation } from './locateServers';
import { parseTomlText } from './parseToml';
import { parseShimInvocation } from './shimInvocation';
import type { ConfigProblem } from './types';

export type SkipReason = 'remote' | 'no-command' | 'already-wrapped' | 'not-wrapped' | 'bad-args';

export interface ServerEditOutcome {
  name: string;
  /** 'changed', or why the server was left as it was. */
  result: 'changed' | SkipReason;
}

export type EditPlan =
  | { ok: true; text: string; servers: ServerEditOutcome[] }
  | { ok: false; kind: 'syntax'; problem: ConfigProblem }
  | { ok: false; kind: 'unknown-server'; names: string[] };

export interface WrapOptions {
  /** The shim's command: the launcher's path, or `codex-thread-shim`. */
  shimCommand: string;
}

/** Which servers: names (each must exist), or every server the operation applies to. */
export type ServerSelection = readonly string[] | 'all';

interface TextEdit {
  start: number;
  end: number;
  text: string;
}

export function wrapServersInText(text: string, selection: ServerSelection, options: WrapOptions): EditPlan {
  return plan(text, selection, (server, ctx) => wrapEdits(server, ctx, options));
}

export function unwrapServersInText(text: string, selection: ServerSelection): EditPlan {
  return plan(text, selection, (server, ctx) => unwrapEdits(server, ctx));
}

/** A TOML basic string for any text (JSON's escapes are all valid TOML escapes). */
export function tomlString(value: string): string {
  return JSON.stringify(value);
}

interface EditContext {
  text: string;
  /** Added to AST offsets to get offsets in `text` (a BOM shifts them). */
  offset: number;
  /** The file's line break, for keys written on a line of their own. */
  eol: string;
}

function plan(
  text: string,
  selection: ServerSelection,
  editsFor: (server: ServerLocation, ctx: EditContext) => TextEdit[] | SkipReason,
): EditPlan {
  const parsed = parseTomlText(text);
  if (!parsed.ok) {
    return { ok: false, kind: 'syntax', problem: parsed.problem };
  }
  const servers = locateServers(parsed.ast);
  const chosen = selection === 'all' ? servers : selection.map((name) => servers.find((s) => s.name === name));
  if (selection !== 'all') {
    const unknown = selection.filter((_, i) => chosen[i] === undefined);
    if (unknown.length > 0) {
      return { ok: false, kind: 'unknown-server', names: unknown };
    }
  }
  const eolMatch = /\r?\n/.exec(text);
  const ctx: EditContext = { text, offset: parsed.offset, eol: eolMatch ? eolMatch[0] : '\n' };
  const edits: TextEdit[] = [];
  const outcomes: ServerEditOutcome[] = [];
  for (const server of new Set(chosen as ServerLocation[])) {
    const result = editsFor(server, ctx);
    if (typeof result === 'string') {
      outcomes.push({ name: server.name, result });
    } else {
      edits.push(...result);
      outcomes.push({ name: server.name, result: 'changed' });
    }
  }
  return { ok: true, text: applyEdits(text, edits), servers: outcomes };
}

function applyEdits(text: string, edits: TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) {
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  }
  return out;
}

function range(node: { range: [number, number] }, ctx: EditContext): [number, number] {
  return [node.range[0] + ctx.offset, node.range[1] + ctx.offset];
}

function source(node: { range: [number, number] }, ctx: EditContext): string {
  const [start, end] = range(node, ctx);
  return ctx.text.slice(start, end);
}

function wrapEdits(server: ServerLocation, ctx: EditContext, options: WrapOptions): TextEdit[] | SkipReason {
  if (server.fields.has('url')) {
    return 'remote';
  }
  const command = server.fields.get('command');
  const commandValue = stringValue(command?.value);
  if (!command || commandValue === undefined) {
    return 'no-command';
  }
  const argsField = server.fields.get('args');
  const args = argsField ? stringArray(argsField.value) : [];
  if (args === undefined) {
    return 'bad-args';
  }
  if (parseShimInvocation(commandValue, args)) {
    return 'already-wrapped';
  }
  const [cmdStart, cmdEnd] = range(command.value, ctx);
  const commandText = ctx.text.slice(cmdStart, cmdEnd);
  const edits: TextEdit[] = [{ start: cmdStart, end: cmdEnd, text: tomlString(options.shimCommand) }];
  if (argsField) {
    const [start, end] = range(argsField.value, ctx);
    const inside = ctx.text.slice(start + 1, end - 1);
    edits.push({ start, end, text: `["--", ${commandText}, ${inside}]` });
    return edits;
  }
  const newArgs = `${argsKeyFor(command.kv, ctx)} = ["--", ${commandText}]`;
  if (command.kv.parent.type === 'TOMLInlineTable') {
    edits.push({ start: cmdEnd, end: cmdEnd, text: `, ${newArgs}` });
  } else {
    // On a line of its own below the command, indented like it, after any comment on its line.
    const [kvStart] = range(command.kv, ctx);
    const lineStart = ctx.text.lastIndexOf('\n', kvStart - 1) + 1;
    const indent = /^[ \t]*/.exec(ctx.text.slice(lineStart, kvStart))![0];
    const at = lineEnd(ctx.text, cmdEnd);
    edits.push({ start: at, end: at, text: `${ctx.eol}${indent}${newArgs}` });
  }
  return edits;
}

function unwrapEdits(server: ServerLocation, ctx: EditContext): TextEdit[] | SkipReason {
  const command = server.fields.get('command');
  const argsField = server.fields.get('args');
  const commandValue = stringValue(command?.value);
  const args = stringArray(argsField?.value);
  const invocation = commandValue !== undefined && args !== undefined ? parseShimInvocation(commandValue, args) : undefined;
  if (!command || !argsField || !invocation || argsField.value.type !== 'TOMLArray') {
    return 'not-wrapped';
  }
  const array = argsField.value;
  const inner = array.elements[invocation.innerStart];
  const [cmdStart, cmdEnd] = range(command.value, ctx);
  const edits: TextEdit[] = [{ start: cmdStart, end: cmdEnd, text: source(inner, ctx) }];
  const [arrayStart, arrayEnd] = range(array, ctx);
  const afterInner = skipSpaceAndComments(ctx.text, range(inner, ctx)[1], arrayEnd - 1);
  if (ctx.text[afterInner] === ',') {
    // The original array's inside follows our ", " separator.
    let rest = ctx.text.slice(afterInner + 1, arrayEnd - 1);
    if (rest.startsWith(' ')) {
      rest = rest.slice(1);
    }
    edits.push({ start: arrayStart, end: arrayEnd, text: `[${rest}]` });
    return edits;
  }
  // No elements after the command: the server had no `args` key, unless the layout says otherwise.
  const removal = insertedArgsRange(command.kv, argsField.kv, ctx);
  if (removal) {
    edits.push({ start: removal[0], end: removal[1], text: '' });
  } else {
    edits.push({ start: arrayStart, end: arrayEnd, text: '[]' });
  }
  return edits;
}

/**
 * The range wrap inserted for a missing `args` key (so unwrap can take it out), or undefined when
 * the `args` key does not sit where wrap puts it: directly after the command, as its next inline
 * key or alone on the next line.
 */
function insertedArgsRange(commandKv: AST.TOMLKeyValue, argsKv: AST.TOMLKeyValue, ctx: EditContext): [number, number] | undefined {
  const [, cmdKvEnd] = range(commandKv, ctx);
  const [argsStart, argsEnd] = range(argsKv, ctx);
  if (argsStart < cmdKvEnd || commandKv.parent !== argsKv.parent || source(argsKv.key, ctx) !== argsKeyFor(commandKv, ctx)) {
    return undefined;
  }
  if (commandKv.parent.type === 'TOMLInlineTable') {
    return /^\s*,\s*$/.test(ctx.text.slice(cmdKvEnd, argsStart)) ? [cmdKvEnd, argsEnd] : undefined;
  }
  const start = lineEnd(ctx.text, cmdKvEnd);
  const between = ctx.text.slice(start, argsStart);
  const restOfLine = ctx.text.slice(argsEnd, lineEnd(ctx.text, argsEnd));
  return /^\r?\n[ \t]*$/.test(between) && restOfLine.trim() === '' ? [start, lineEnd(ctx.text, argsEnd)] : undefined;
}

/** `args`, with the command key's dotted prefix and spacing: `x.command` gives `x.args`. */
function argsKeyFor(commandKv: AST.TOMLKeyValue, ctx: EditContext): string {
  const parts = commandKv.key.keys;
  const [keyStart] = range(commandKv.key, ctx);
  const [lastStart] = range(parts[parts.length - 1], ctx);
  return ctx.text.slice(keyStart, lastStart) + 'args';
}

/** Offset of the line break that ends the line containing `from` (or the end of the text). */
function lineEnd(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  if (nl < 0) {
    return text.length;
  }
  return text[nl - 1] === '\r' && nl - 1 >= from ? nl - 1 : nl;
}

function skipSpaceAndComments(text: string, from: number, limit: number): number {
  let i = from;
  while (i < limit) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
    } else if (c === '#') {
      while (i < limit && text[i] !== '\n') i++;
    } else {
      break;
    }
  }
  return i;
}
