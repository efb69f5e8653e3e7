import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonLines, type JsonLine } from './json-lines.js';

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
});
