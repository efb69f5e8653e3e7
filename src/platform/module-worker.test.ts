import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { startModuleWorker } from './module-worker.js';

describe('startModuleWorker', () => {
  it('runs a module from its sources when it is not built', async () => {
    // Only json-lines.ts exists here; the thread loads it through tsx and ends once it has.
    const worker = startModuleWorker(new URL('./json-lines/json-lines.js', import.meta.url));
    const [code] = (await once(worker, 'exit')) as [number];
    expect(code).toBe(0);
  });

  it('says what to do when the module is neither built nor a source', () => {
    expect(() => startModuleWorker(new URL('./no-such-module.js', import.meta.url))).toThrow(/npm run build/);
  });
});
