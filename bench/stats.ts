// Shared helpers for the benchmarks: medians and percentiles, markdown tables, and writing a
// bench's section of bench/README.md.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) {
    return NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export const median = (values: number[]): number => percentile(values, 50);

export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Replaces (or appends) the `## <heading>` section of a markdown file, leaving other sections alone. */
export function replaceSection(markdown: string, heading: string, body: string): string {
  const start = markdown.indexOf(`## ${heading}\n`);
  const section = `## ${heading}\n\n${body.trim()}\n`;
  if (start < 0) {
    return `${markdown.trimEnd()}\n\n${section}`;
  }
  const next = markdown.indexOf('\n## ', start + 3);
  return markdown.slice(0, start) + section + (next < 0 ? '' : markdown.slice(next));
}

/** bench/README.md of this checkout (this module runs from out/bench). */
export const BENCH_README = path.join(__dirname, '..', '..', 'bench', 'README.md');

/** Writes `body` as the `## <heading>` section of bench/README.md (or `file`). */
export function writeBenchSection(heading: string, body: string, file = BENCH_README): void {
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  fs.writeFileSync(file, replaceSection(current, heading, body));
}
