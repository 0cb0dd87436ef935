// A unified diff of two texts (what `--dry-run` prints), by lines, with 3 lines of context. The
// texts are config files of at most a few thousand lines and an edit touches a few of them, so a
// common prefix/suffix trim plus an LCS table over the middle is plenty.

export function unifiedDiff(oldText: string, newText: string, oldName: string, newName: string): string {
  if (oldText === newText) {
    return '';
  }
  const a = splitLines(oldText);
  const b = splitLines(newText);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const ops = diffMiddle(a.slice(start, endA), b.slice(start, endB));
  // Every line as [op, text, oldIndex, newIndex]: ' ' same, '-' removed, '+' added.
  const lines: [string, string][] = [
    ...a.slice(0, start).map((l): [string, string] => [' ', l]),
    ...ops,
    ...a.slice(endA).map((l): [string, string] => [' ', l]),
  ];
  const out = [`--- ${oldName}`, `+++ ${newName}`];
  const CONTEXT = 3;
  let i = 0;
  let oldLine = 1;
  let newLine = 1;
  while (i < lines.length) {
    if (lines[i][0] === ' ') {
      i++;
      oldLine++;
      newLine++;
      continue;
    }
    // A hunk: back up for context, run until CONTEXT*2 unchanged lines in a row.
    const back = Math.min(CONTEXT, countBackSame(lines, i));
    let j = i;
    let same = 0;
    while (j < lines.length && same <= CONTEXT * 2) {
      same = lines[j][0] === ' ' ? same + 1 : 0;
      j++;
    }
    const end = j - Math.max(0, same - CONTEXT);
    const hunk = lines.slice(i - back, end);
    const oldCount = hunk.filter((l) => l[0] !== '+').length;
    const newCount = hunk.filter((l) => l[0] !== '-').length;
    const oldStart = oldLine - back;
    const newStart = newLine - back;
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const [op, text] of hunk) {
      out.push(op + text.replace(/\r?\n$/, ''));
      if (!text.endsWith('\n')) out.push('\\ No newline at end of file');
    }
    for (const [op] of lines.slice(i, end)) {
      if (op !== '+') oldLine++;
      if (op !== '-') newLine++;
    }
    i = end;
  }
  return out.join('\n') + '\n';
}

function countBackSame(lines: [string, string][], i: number): number {
  let n = 0;
  while (i - n - 1 >= 0 && lines[i - n - 1][0] === ' ') n++;
  return n;
}

/** Lines with their line ends, so a CRLF or a missing final newline shows as a change. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function diffMiddle(a: string[], b: string[]): [string, string][] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: [string, string][] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push([' ', a[i++]]);
      j++;
    } else if (i < n && (j >= m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push(['-', a[i++]]);
    } else {
      out.push(['+', b[j++]]);
    }
  }
  return out;
}
