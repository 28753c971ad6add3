/**
 * Where a JSON text stops being JSON, as line and column, with a reason that never quotes the
 * text itself (a configuration file holds passwords). JSON.parse names a position for most
 * errors but not all ("Unexpected token 'x', "…whole text…" is not valid JSON"), so the position
 * comes from a small scanner of the JSON grammar (RFC 8259), used only once JSON.parse has failed.
 */

class Stop {
  constructor(readonly at: number) {}
}

const WHITESPACE = ' \t\n\r';
const LITERALS = ['true', 'false', 'null'];
const isDigit = (char: string | undefined): boolean => char !== undefined && char >= '0' && char <= '9';

/** A recursive-descent reader of JSON that stops, with its offset, at the first character that cannot continue. */
class Scanner {
  private i = 0;
  constructor(private readonly text: string) {}

  /** The offset of the first character that cannot continue the text as JSON; undefined when it is JSON. */
  scan(): number | undefined {
    try {
      this.value();
      this.skipWhitespace();
      if (this.i < this.text.length) this.stop();
      return undefined;
    } catch (error) {
      if (error instanceof Stop) return Math.min(error.at, this.text.length);
      throw error;
    }
  }

  private stop(): never {
    throw new Stop(this.i);
  }

  private skipWhitespace(): void {
    while (this.i < this.text.length && WHITESPACE.includes(this.text[this.i]!)) this.i += 1;
  }

  private expect(char: string): void {
    if (this.text[this.i] !== char) this.stop();
    this.i += 1;
  }

  private value(): void {
    this.skipWhitespace();
    const char = this.text[this.i];
    if (char === '{') this.members('}', () => this.member());
    else if (char === '[') this.members(']', () => this.value());
    else if (char === '"') this.string();
    else if (char === '-' || isDigit(char)) this.number();
    else this.literal();
  }

  private member(): void {
    this.skipWhitespace();
    this.string();
    this.skipWhitespace();
    this.expect(':');
    this.value();
  }

  private members(close: string, item: () => void): void {
    this.i += 1;
    this.skipWhitespace();
    if (this.text[this.i] === close) {
      this.i += 1;
      return;
    }
    for (;;) {
      item();
      this.skipWhitespace();
      if (this.text[this.i] !== ',') return this.expect(close);
      this.i += 1;
    }
  }

  private string(): void {
    this.expect('"');
    for (;;) {
      const char = this.text[this.i];
      if (char === undefined || char < ' ') this.stop();
      this.i += 1;
      if (char === '"') return;
      if (char === '\\') this.escape();
    }
  }

  private escape(): void {
    const char = this.text[this.i] ?? '';
    if (char === 'u') {
      this.i += 1;
      for (let n = 0; n < 4; n += 1, this.i += 1) if (!/^[0-9a-fA-F]$/.test(this.text[this.i] ?? '')) this.stop();
    } else if (char !== '' && '"\\/bfnrt'.includes(char)) this.i += 1;
    else this.stop();
  }

  private number(): void {
    if (this.text[this.i] === '-') this.i += 1;
    if (this.text[this.i] === '0') this.i += 1;
    else this.digits();
    if (this.text[this.i] === '.') {
      this.i += 1;
      this.digits();
    }
    if (this.text[this.i] === 'e' || this.text[this.i] === 'E') {
      this.i += 1;
      if (this.text[this.i] === '+' || this.text[this.i] === '-') this.i += 1;
      this.digits();
    }
  }

  private digits(): void {
    if (!isDigit(this.text[this.i])) this.stop();
    while (isDigit(this.text[this.i])) this.i += 1;
  }

  private literal(): void {
    const word = LITERALS.find((candidate) => candidate[0] === this.text[this.i]) ?? this.stop();
    for (const char of word) this.expect(char);
  }
}

/** The offset of the first character that cannot continue `text` as JSON (text.length: it ends too early). */
export function jsonErrorOffset(text: string): number | undefined {
  return new Scanner(text).scan();
}

/** 1-based line and column of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/**
 * JSON.parse's reason without the text it may quote: "Expected ',' or '}' after property value",
 * "Unexpected end of JSON input"; for an unexpected character, that character only.
 */
export function jsonErrorReason(error: unknown, text: string, offset: number): string {
  const message = error instanceof Error ? error.message : String(error);
  if (offset >= text.length) return 'unexpected end of the file';
  const positioned = /^(.*?)(?: in JSON)? at position \d+/s.exec(message);
  if (positioned) return positioned[1]!.replace(/^\w/, (first) => first.toLowerCase());
  return `unexpected character ${JSON.stringify(text[offset])}`;
}
