import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { architectureViolations, readSourceImports, type SourceImport } from '../support/import-graph.js';
import { LAYERS } from './layers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('the module graph', () => {
  it('runs one way: no import up a layer, no two units importing each other, no cycle between files', () => {
    expect(architectureViolations(LAYERS, readSourceImports(root, 'src'))).toEqual([]);
  });

  it('is checked for real: an upward import, a mutual pair and a file cycle are each found', () => {
    const imports: SourceImport[] = [
      { from: 'src/db/database.ts', to: 'src/modules/users/users.repo.ts' },
      { from: 'src/modules/apps/a.ts', to: 'src/modules/certificates/b.ts' },
      { from: 'src/modules/certificates/b.ts', to: 'src/modules/apps/a.ts' },
      { from: 'src/new-folder/x.ts', to: 'src/errors.ts' },
    ];
    expect(architectureViolations(LAYERS, imports)).toEqual([
      expect.stringContaining('files import each other in a cycle: src/modules/apps/a.ts → src/modules/certificates/b.ts'),
      'src/db/database.ts imports src/modules/users/users.repo.ts: src/db/ (database) may not import src/modules/users/ (people), a higher layer',
      expect.stringContaining('src/modules/apps/ and src/modules/certificates/ import each other'),
      'src/new-folder/x.ts belongs to no layer: add its folder to the architecture',
    ]);
  });

  it('reads every form of import: named, type-only, re-export, side effect only, dynamic', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-imports-'));
    try {
      fs.mkdirSync(path.join(dir, 'src'));
      fs.writeFileSync(
        path.join(dir, 'src/a.ts'),
        [
          "import { b } from './b.js';",
          "import type { C } from './c.js';",
          "export * from './d.js';",
          "import './e.js';",
          "const f = await import('./f.js');",
          "import fs from 'node:fs';",
        ].join('\n'),
      );
      fs.writeFileSync(path.join(dir, 'src/a.test.ts'), "import './g.js';");
      expect(readSourceImports(dir, 'src').map((edge) => edge.to)).toEqual(['src/b.ts', 'src/c.ts', 'src/d.ts', 'src/e.ts', 'src/f.ts']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
