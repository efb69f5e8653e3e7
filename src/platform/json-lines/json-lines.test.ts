import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonLineBatches, readJsonLines, type JsonLine } from './json-lines.js';

describe('readJsonLines', () => {
  it('numbers lines as an editor does, skipping blank ones, across CRLF and a byte-order mark', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-jsonl-')), 'lines.jsonl');
    fs.writeFileSync(file, '\uFEFF{"a":1}\r\n\r\n  \n{"b":2}\nnot json\n{"c":3}');
    const entries: JsonLine[] = [];
    for await (const entry of readJsonLines(file)) entries.push(entry);
    expect(entries.map((e) => [e.line, e.ok ? e.value : 'error'])).toEqual([
      [1, { a: 1 }],
      [4, { b: 2 }],
      [5, 'error'],
      [6, { c: 3 }],
    ]);
    expect(entries[2]).toMatchObject({ ok: false, message: expect.stringMatching(/^is not valid JSON/) });
  });

  it('reads a line longer than a read, a character split between reads, and a lone carriage return', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-jsonl-')), 'lines.jsonl');
    const long = 'x'.repeat(3 << 20);
    // "é" is two bytes in UTF-8; the first line puts one of them on each side of the first 1 MB read.
    const split = 'a'.repeat((1 << 20) - 7);
    fs.writeFileSync(file, `{"s":"${split}é"}\n{"long":"${long}"}\r{"c":"ü"}\r\n{"d":4}`);
    const entries: JsonLine[] = [];
    for await (const batch of readJsonLineBatches(file)) entries.push(...batch);
    expect(entries.map((e) => [e.line, e.ok ? e.value : 'error'])).toEqual([
      [1, { s: `${split}é` }],
      [2, { long }],
      [3, { c: 'ü' }],
      [4, { d: 4 }],
    ]);
  });
});
