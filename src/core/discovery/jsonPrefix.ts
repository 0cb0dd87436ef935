// Parses JSON text that may be cut off at the end. A rollout's first line can be tens of KB
// (Codex puts the whole base instructions in it), and it is read with a bound; the fields that
// discovery needs (id, cwd, originator, cli_version, source, ...) come before
// `base_instructions` in every version measured. So a line longer than the bound still yields
// them: objects and arrays keep every member that was complete before the cut, a value that was
// cut (a string, a number) is dropped. Text that is not JSON still throws a SyntaxError.

const MAX_DEPTH = 64;

/** Thrown internally at the cut; `partial` is the container that was being built, if any. */
class Truncated {
  constructor(readonly partial: unknown) {}
}

export interface JsonPrefixResult {
  readonly value: unknown;
  /** False when the text ended before the value did. */
  readonly complete: boolean;
}

export function parseJsonPrefix(text: string): JsonPrefixResult {
  const p = new PrefixParser(text);
  try {
    const value = p.value(0);
    p.skipWs();
    if (p.pos < text.length) {
      throw new SyntaxError(`unexpected text after JSON value at ${p.pos}`);
    }
    return { value, complete: true };
  } catch (err) {
    if (err instanceof Truncated) {
      return { value: err.partial, complete: false };
    }
    throw err;
  }
}

class PrefixParser {
  pos = 0;
  constructor(private readonly text: string) {}

  skipWs(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        return;
      }
      this.pos++;
    }
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) {
      throw new SyntaxError('JSON nested too deeply');
    }
    this.skipWs();
    if (this.pos >= this.text.length) {
      throw new Truncated(undefined);
    }
    const c = this.text[this.pos];
    if (c === '{') {
      return this.object(depth);
    }
    if (c === '[') {
      return this.array(depth);
    }
    if (c === '"') {
      return this.string();
    }
    if (c === 't') {
      return this.literal('true', true);
    }
    if (c === 'f') {
      return this.literal('false', false);
    }
    if (c === 'n') {
      return this.literal('null', null);
    }
    return this.number();
  }

  private object(depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.pos++;
    try {
      this.skipWs();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return out;
      }
      for (;;) {
        this.skipWs();
        if (this.pos >= this.text.length) {
          throw new Truncated(undefined);
        }
        if (this.text[this.pos] !== '"') {
          throw new SyntaxError(`expected a key at ${this.pos}`);
        }
        const key = this.string();
        this.skipWs();
        this.expect(':');
        try {
          out[key] = this.value(depth + 1);
        } catch (err) {
          if (err instanceof Truncated && err.partial !== undefined) {
            out[key] = err.partial;
          }
          throw err;
        }
        this.skipWs();
        if (this.pos >= this.text.length) {
          throw new Truncated(undefined);
        }
        const sep = this.text[this.pos++];
        if (sep === '}') {
          return out;
        }
        if (sep !== ',') {
          throw new SyntaxError(`expected , or } at ${this.pos - 1}`);
        }
      }
    } catch (err) {
      if (err instanceof Truncated) {
        throw new Truncated(out);
      }
      throw err;
    }
  }

  private array(depth: number): unknown[] {
    const out: unknown[] = [];
    this.pos++;
    try {
      this.skipWs();
      if (this.text[this.pos] === ']') {
        this.pos++;
        return out;
      }
      for (;;) {
        try {
          out.push(this.value(depth + 1));
        } catch (err) {
          if (err instanceof Truncated && err.partial !== undefined) {
            out.push(err.partial);
          }
          throw err;
        }
        this.skipWs();
        if (this.pos >= this.text.length) {
          throw new Truncated(undefined);
        }
        const sep = this.text[this.pos++];
        if (sep === ']') {
          return out;
        }
        if (sep !== ',') {
          throw new SyntaxError(`expected , or ] at ${this.pos - 1}`);
        }
      }
    } catch (err) {
      if (err instanceof Truncated) {
        throw new Truncated(out);
      }
      throw err;
    }
  }

  private string(): string {
    const t = this.text;
    const start = this.pos;
    let i = start + 1;
    for (;;) {
      const q = t.indexOf('"', i);
      if (q < 0) {
        throw new Truncated(undefined);
      }
      let backslashes = 0;
      for (let k = q - 1; k > start && t.charCodeAt(k) === 0x5c; k--) {
        backslashes++;
      }
      if (backslashes % 2 === 0) {
        this.pos = q + 1;
        return JSON.parse(t.slice(start, q + 1)) as string;
      }
      i = q + 1;
    }
  }

  private literal<T>(word: string, value: T): T {
    const rest = this.text.slice(this.pos, this.pos + word.length);
    if (rest === word) {
      this.pos += word.length;
      return value;
    }
    if (this.pos + rest.length === this.text.length && word.startsWith(rest)) {
      throw new Truncated(undefined);
    }
    throw new SyntaxError(`unexpected token at ${this.pos}`);
  }

  private number(): number {
    // A number that runs to the end of the text may go on past the cut ("12" of "123", "1." of "1.5").
    if (this.text.length - this.pos <= 32 && /^[-+.eE0-9]*$/.test(this.text.slice(this.pos))) {
      throw new Truncated(undefined);
    }
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m) {
      throw new SyntaxError(`unexpected token at ${this.pos}`);
    }
    this.pos += m[0].length;
    return Number(m[0]);
  }

  private expect(c: string): void {
    if (this.pos >= this.text.length) {
      throw new Truncated(undefined);
    }
    if (this.text[this.pos] !== c) {
      throw new SyntaxError(`expected ${c} at ${this.pos}`);
    }
    this.pos++;
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
