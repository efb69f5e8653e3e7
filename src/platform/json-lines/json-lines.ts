import fs from 'node:fs';
import readline from 'node:readline';

export type JsonLine = { line: number; chars: number } & ({ ok: true; value: unknown } | { ok: false; message: string });

/**
 * Streams a JSON Lines file: one parsed value per non-blank line, with its
 * 1-based line number, or the parse error. Memory stays flat whatever the
 * file's size. `chars` (the line's length plus its newline) lets a caller
 * show progress against the file size.
 */
export async function* readJsonLines(file: string): AsyncGenerator<JsonLine> {
  const input = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line += 1;
      const chars = text.length + 1;
      // A byte-order mark (some exporters write one) is not part of the first object.
      const content = line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      if (content.trim() === '') continue;
      yield parseLine(content, line, chars);
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

function parseLine(text: string, line: number, chars: number): JsonLine {
  try {
    return { line, chars, ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { line, chars, ok: false, message: `is not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}
