import fs from 'node:fs';
import { isAscii } from 'node:buffer';

export type JsonLine = { line: number; chars: number } & ({ ok: true; value: unknown } | { ok: false; message: string });

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BYTE_ORDER_MARK = 0xfeff;
const OPENING_BRACE = 0x7b;

/**
 * Streams a JSON Lines file: one parsed value per non-blank line, with its
 * 1-based line number, or the parse error. Memory stays flat whatever the
 * file's size. `chars` (the line's length plus its newline) lets a caller
 * show progress against the file size.
 */
export async function* readJsonLines(file: string): AsyncGenerator<JsonLine> {
  for await (const batch of readJsonLineBatches(file)) yield* batch;
}

/**
 * `readJsonLines` a read buffer at a time (about 1 MB of lines per batch),
 * for callers that check or write rows in batches anyway: one await per
 * batch rather than per line. Each batch parses its lines as it is iterated,
 * so only the line at hand is held as objects; iterate each batch to its end
 * before the next. Lines end as an editor sees them (`\n`, `\r\n` or a lone
 * `\r`).
 */
export async function* readJsonLineBatches(file: string): AsyncGenerator<Iterable<JsonLine>> {
  const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  // Bytes of a line not ended yet: the tail of the previous read, and whole reads of a long line.
  let pending: Buffer[] = [];
  let linesBefore = 0;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const lastNewline = chunk.lastIndexOf(NEWLINE);
      if (lastNewline < 0) {
        pending.push(chunk);
        continue;
      }
      const batches: Array<Iterable<JsonLine>> = [];
      let from = 0;
      if (pending.length > 0) {
        // Only the line the previous reads left open is copied whole; the rest is read where it lies.
        from = chunk.indexOf(NEWLINE) + 1;
        const joined = splitLines(Buffer.concat([...pending, chunk.subarray(0, from)]), linesBefore);
        linesBefore += joined.count;
        batches.push(joined.entries);
      }
      const lines = splitLines(chunk.subarray(from, lastNewline + 1), linesBefore);
      linesBefore += lines.count;
      batches.push(lines.entries);
      pending = lastNewline + 1 < chunk.length ? [chunk.subarray(lastNewline + 1)] : [];
      yield batches.length === 1 ? lines.entries : concatenated(batches);
    }
    if (pending.length > 0) yield splitLines(Buffer.concat(pending), linesBefore).entries;
  } finally {
    input.destroy();
  }
}

/** The lines of `buffer` (whole lines; the last may lack its newline), numbered after `linesBefore`. */
function splitLines(buffer: Buffer, linesBefore: number): { count: number; entries: Iterable<JsonLine> } {
  const ends: number[] = [];
  for (let start = 0; start < buffer.length;) {
    const newline = buffer.indexOf(NEWLINE, start);
    const end = newline < 0 ? buffer.length : newline;
    ends.push(end);
    start = end + 1;
  }
  // One test for the whole read; only a read with other characters tests each line.
  const ascii = isAscii(buffer);
  if (hasLoneCarriageReturn(buffer)) {
    // Rare (old Mac files): such a line is several, so number them all now.
    const entries: JsonLine[] = [];
    let line = linesBefore;
    let start = 0;
    for (const end of ends) {
      for (const text of decodeLine(buffer, start, end, ascii).split('\r')) {
        line += 1;
        const entry = parseText(text, line);
        if (entry !== undefined) entries.push(entry);
      }
      start = end + 1;
    }
    return { count: line - linesBefore, entries };
  }
  return { count: ends.length, entries: parseLines(buffer, ends, linesBefore, ascii) };
}

function* concatenated<T>(iterables: ReadonlyArray<Iterable<T>>): Generator<T> {
  for (const iterable of iterables) yield* iterable;
}

function* parseLines(buffer: Buffer, ends: readonly number[], linesBefore: number, ascii: boolean): Generator<JsonLine> {
  let start = 0;
  for (let index = 0; index < ends.length; index += 1) {
    const end = ends[index]!;
    const entry = parseText(decodeLine(buffer, start, end, ascii), linesBefore + index + 1);
    if (entry !== undefined) yield entry;
    start = end + 1;
  }
}

function hasLoneCarriageReturn(buffer: Buffer): boolean {
  for (let at = buffer.indexOf(CARRIAGE_RETURN); at >= 0; at = buffer.indexOf(CARRIAGE_RETURN, at + 1)) {
    if (buffer[at + 1] !== NEWLINE) return true;
  }
  return false;
}

/** A line's text, without the `\r` of a `\r\n`; `ascii` when the whole buffer is known to be ASCII. */
function decodeLine(buffer: Buffer, start: number, end: number, ascii: boolean): string {
  if (end > start && buffer[end - 1] === CARRIAGE_RETURN) end -= 1;
  // Node decodes ASCII as Latin-1 many times faster than as UTF-8, and JSON Lines are mostly ASCII.
  return buffer.toString(ascii || isAscii(buffer.subarray(start, end)) ? 'latin1' : 'utf8', start, end);
}

function parseText(text: string, line: number): JsonLine | undefined {
  const chars = text.length + 1;
  // A byte-order mark (some exporters write one) is not part of the first object.
  const content = line === 1 && text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text;
  // Nearly every line opens an object: only the others need trimming to tell whether they are blank.
  if (content.charCodeAt(0) !== OPENING_BRACE && content.trim() === '') return undefined;
  try {
    return { line, chars, ok: true, value: JSON.parse(content) as unknown };
  } catch (error) {
    return { line, chars, ok: false, message: `is not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}
