import fs from 'node:fs';
import path from 'node:path';

/** One relative import of a source file: `from` imports `to` (both paths relative to the repository). */
export interface SourceImport {
  from: string;
  to: string;
}

// Static imports and re-exports (type-only too: a type is a dependency as well), imports for their side effects, and dynamic imports.
const IMPORT = /^\s*(?:import|export)\s[^;]*?\sfrom\s+'(\.[^']+)'|^\s*import\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/gm;

function resolve(fromFile: string, specifier: string): string {
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier));
  return target.replace(/\.js$/, '.ts');
}

/** The relative imports of every source file under `dir` (tests excluded), read from disk. */
export function readSourceImports(root: string, dir: string): SourceImport[] {
  const imports: SourceImport[] = [];
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const child = path.posix.join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) {
        const text = fs.readFileSync(path.join(root, child), 'utf8');
        for (const match of text.matchAll(IMPORT))
          imports.push({ from: child, to: resolve(child, match[1] ?? match[2] ?? match[3] ?? '') });
      }
    }
  };
  walk(dir);
  return imports;
}

/** A layer of the architecture: the units in it may import units of the same or lower layers only. */
export interface Layer {
  name: string;
  /** Path prefixes (a folder ending in `/`, or a file) that make up each unit of the layer. */
  units: string[];
}

/** Which unit a file belongs to: the longest unit prefix it starts with. */
export function unitOf(layers: readonly Layer[], file: string): string | undefined {
  let best: string | undefined;
  for (const layer of layers)
    for (const unit of layer.units)
      if ((file === unit || (unit.endsWith('/') && file.startsWith(unit))) && (best === undefined || unit.length > best.length))
        best = unit;
  return best;
}

/**
 * Everything that breaks the one-way architecture: a file in no unit, an
 * import that runs up a layer, two units importing each other, and a cycle
 * between files. Each finding is one line naming the files involved.
 */
export function architectureViolations(layers: readonly Layer[], imports: readonly SourceImport[]): string[] {
  const layerOf = new Map<string, number>();
  layers.forEach((layer, index) => layer.units.forEach((unit) => layerOf.set(unit, index)));
  const findings: string[] = [];
  const unitEdges = new Map<string, SourceImport>();
  const files = new Set<string>();
  for (const edge of imports) {
    files.add(edge.from);
    const from = unitOf(layers, edge.from);
    const to = unitOf(layers, edge.to);
    if (from === undefined) findings.push(`${edge.from} belongs to no layer: add its folder to the architecture`);
    if (from === undefined || to === undefined || from === to) continue;
    const fromLayer = layerOf.get(from) ?? 0;
    const toLayer = layerOf.get(to) ?? 0;
    if (toLayer > fromLayer)
      findings.push(
        `${edge.from} imports ${edge.to}: ${from} (${layers[fromLayer]?.name}) may not import ${to} (${layers[toLayer]?.name}), a higher layer`,
      );
    if (!unitEdges.has(`${from}→${to}`)) unitEdges.set(`${from}→${to}`, edge);
  }
  for (const [key, edge] of unitEdges) {
    const [from, to] = key.split('→') as [string, string];
    const back = unitEdges.get(`${to}→${from}`);
    if (back !== undefined && from < to)
      findings.push(`${from} and ${to} import each other: ${edge.from} imports ${edge.to}, and ${back.from} imports ${back.to}`);
  }
  for (const cycle of fileCycles(imports)) findings.push(`files import each other in a cycle: ${cycle.join(' → ')}`);
  return [...new Set(findings)].sort();
}

/** Strongly connected groups of more than one file (Tarjan), each as a sorted list. */
function fileCycles(imports: readonly SourceImport[]): string[][] {
  const next = new Map<string, string[]>();
  for (const edge of imports) next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let counter = 0;
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of next.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(target) ?? 0));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file) ?? 0, index.get(target) ?? 0));
    }
    if (low.get(file) !== index.get(file)) return;
    const group: string[] = [];
    for (;;) {
      const member = stack.pop() as string;
      onStack.delete(member);
      group.push(member);
      if (member === file) break;
    }
    if (group.length > 1) cycles.push(group.sort());
  };
  for (const file of next.keys()) if (!index.has(file)) visit(file);
  return cycles;
}
