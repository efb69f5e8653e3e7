#!/usr/bin/env node
// `npx riposte <verb>` in a clone: builds dist/ first when it is missing or
// older than the sources, so the command line works right after `npm ci`.
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'dist', 'cli', 'index.js');

/** The newest modification time of the files under `dir` (0 when it does not exist). */
function newest(dir) {
  if (!fs.existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return latest;
}

const builtAt = fs.existsSync(entry) ? fs.statSync(entry).mtimeMs : 0;
if (builtAt < Math.max(newest(path.join(root, 'src')), newest(path.join(root, 'web', 'src')))) {
  process.stderr.write('riposte: building first (dist/ is missing or older than the sources)\n');
  // The build's own output goes to stderr, so what the verb prints on stdout (--json) stays clean.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const build = spawnSync(npm, ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) {
    process.stderr.write('riposte: the build failed (above); fix it, or run `npm run build` to see it again\n');
    process.exit(build.status ?? 1);
  }
}
await import(pathToFileURL(entry).href);
