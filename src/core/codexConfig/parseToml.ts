// The one TOML parser of the project: toml-eslint-parser, which keeps every node's source range,
// so the editor can change a value without re-printing the file. Everything that reads Codex's
// config goes through here.

import { parseTOML, type AST } from 'toml-eslint-parser';
import type { ConfigProblem } from './types';

export type TomlAst = AST.TOMLProgram;

export type ParsedToml =
  | { ok: true; ast: TomlAst; /** Offsets in the AST plus this are offsets in the original text (a BOM). */ offset: number }
  | { ok: false; problem: ConfigProblem };

const BOM = '\uFEFF';

/**
 * Parses a TOML document. A leading BOM is allowed (TOML says nothing of it, Codex's Rust reader
 * skips it, editors on Windows write it): the AST then describes the text after it, and `offset`
 * says how far to shift its ranges.
 */
export function parseTomlText(text: string): ParsedToml {
  const offset = text.startsWith(BOM) ? BOM.length : 0;
  try {
    // 1.1 accepts a superset of 1.0 (newlines in inline tables, \e): a file Codex reads must
    // never be called broken here.
    const ast = parseTOML(offset ? text.slice(offset) : text, { tomlVersion: '1.1' });
    return { ok: true, ast, offset };
  } catch (e) {
    const err = e as { message?: string; lineNumber?: unknown; column?: unknown };
    if (typeof err.lineNumber === 'number' && typeof err.column === 'number') {
      // The parser's columns are 0-based; editors and people count from 1.
      return { ok: false, problem: { message: String(err.message), line: err.lineNumber, column: err.column + 1 } };
    }
    return { ok: false, problem: { message: String(err?.message ?? e), line: 1, column: 1 } };
  }
}
