/**
 * The layering, checked from the sources (no build): run-time imports between folders of src/
 * form no cycle, and the layers built on the pool (ops, campaign, cli, demo) reach the rest only
 * through the public API and the options kit. Type-only imports are erased by the compiler, so
 * they are not dependencies at run time and are not counted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** The public entry files (package exports, plus the core of `triplex` they re-export) and the kit. */
const PUBLIC = ['index.ts', 'sim.ts', 'testing.ts', 'prometheus.ts', 'worker.ts', 'cluster.ts', 'errors.ts', 'api/index.ts'];
const KIT = 'options/';
/** Folders that may use the rest of src/ only through PUBLIC and KIT. */
const OUTER = ['ops', 'campaign', 'cli', 'demo'];

interface Edge {
  from: string;
  to: string;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The file's code without comment lines, so an example in a doc comment is not an import. */
function codeOf(file: string): string {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line))
    .join('\n');
}

/** `{ type A, type B }` imports nothing at run time; `{ type A, B }` or a default import does. */
function typeOnly(clause: string): boolean {
  const named = /^\{([^}]*)\}$/.exec(clause.trim());
  if (named === null) return false;
  const names = named[1]!
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  return names.length > 0 && names.every((n) => n.startsWith('type '));
}

/** Relative specifiers this file imports at run time: static imports, re-exports, side-effect and dynamic imports. */
export function runtimeSpecifiers(code: string): string[] {
  const found: string[] = [];
  const statement = /^\s*(?:import|export)\s+(type\s+)?([^;=()'"]*?)\s*from\s*['"]([^'"]+)['"]/gm;
  for (const m of code.matchAll(statement)) if (m[1] === undefined && !typeOnly(m[2]!)) found.push(m[3]!);
  for (const m of code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) found.push(m[1]!);
  for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found.filter((s) => s.startsWith('.'));
}

/** Path of a src file relative to src/, with '/' separators. */
function rel(file: string): string {
  return path.relative(SRC, file).split(path.sep).join('/');
}

/** A folder of src/, or a top-level file on its own: the facade files and errors.ts are imported by layers the facade re-exports, so one node for all of them would be a cycle by construction. */
function nodeOf(relPath: string): string {
  const slash = relPath.indexOf('/');
  return slash < 0 ? relPath : relPath.slice(0, slash);
}

function fileEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sources(SRC)) {
    for (const spec of runtimeSpecifiers(codeOf(file))) {
      const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
      if (!target.startsWith(SRC)) continue; // package.json, bench scenarios: not modules of src/
      edges.push({ from: rel(file), to: rel(target) });
    }
  }
  return edges;
}

function folderGraph(edges: Edge[]): Map<string, Map<string, Edge>> {
  const graph = new Map<string, Map<string, Edge>>();
  for (const e of edges) {
    const a = nodeOf(e.from);
    const b = nodeOf(e.to);
    if (!graph.has(a)) graph.set(a, new Map());
    if (!graph.has(b)) graph.set(b, new Map());
    if (a !== b && !graph.get(a)!.has(b)) graph.get(a)!.set(b, e);
  }
  return graph;
}

/** Tarjan's strongly connected components; a component of more than one node holds a cycle. */
function components(graph: Map<string, Map<string, Edge>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)!.keys()) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    out.push(component);
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

/** One cycle through `start` inside its component, each step with the import that makes it. */
function cyclePath(graph: Map<string, Map<string, Edge>>, component: string[]): string {
  const inside = new Set(component);
  const start = [...component].sort()[0]!;
  const seen = new Set<string>();
  const walk = (v: string, trail: string[]): string[] | undefined => {
    for (const w of [...graph.get(v)!.keys()].sort()) {
      if (!inside.has(w)) continue;
      if (w === start) return [...trail, w];
      if (seen.has(w)) continue;
      seen.add(w);
      const found = walk(w, [...trail, w]);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  const nodes = walk(start, [start])!;
  return nodes
    .slice(1)
    .map((to, i) => {
      const edge = graph.get(nodes[i]!)!.get(to)!;
      return `${nodes[i]} -> ${to} (${edge.from} imports ${edge.to})`;
    })
    .join('\n  ');
}

describe('architecture', () => {
  const edges = fileEdges();
  const graph = folderGraph(edges);

  it('reads imports as the compiler does: type-only ones are not dependencies', () => {
    expect(runtimeSpecifiers("import type { A } from './a.js';\nimport { type B, type C } from './b.js';")).toEqual([]);
    expect(runtimeSpecifiers("import { type B, c } from './b.js';\nexport * from './d.js';\nimport './e.js';\nconst m = () => import('./f.js');")).toEqual([
      './b.js',
      './d.js',
      './e.js',
      './f.js',
    ]);
    expect(runtimeSpecifiers("import {\n  a,\n  type B,\n} from './multi.js';")).toEqual(['./multi.js']);
    // A check that found no imports would pass vacuously: known edges must be there.
    expect(graph.get('pool')?.has('ops')).toBe(true);
    expect(graph.get('index.ts')?.has('campaign')).toBe(true);
  });

  it('has no run-time import cycle between folders', () => {
    const cycles = components(graph)
      .filter((c) => c.length > 1)
      .map((c) => cyclePath(graph, c));
    expect(cycles, `import cycles between folders:\n  ${cycles.join('\n\n  ')}`).toEqual([]);
  });

  it('ops, campaign, cli and demo use the rest of src/ only through the public API and the options kit', () => {
    const allowed = (e: Edge): boolean => nodeOf(e.to) === nodeOf(e.from) || PUBLIC.includes(e.to) || e.to.startsWith(KIT);
    const crossing = edges.filter((e) => OUTER.includes(nodeOf(e.from)) && !allowed(e)).map((e) => `${e.from} imports ${e.to}`);
    expect(crossing).toEqual([]);
  });

  it('the public entry files exist', () => {
    const files = new Set(sources(SRC).map(rel));
    expect(PUBLIC.filter((f) => !files.has(f))).toEqual([]);
  });
});

describe('option defaults', () => {
  it("the options' @default docs show the value of the constant they name", async () => {
    const defaults = (await import('../dist/options/defaults.js')) as Record<string, unknown>;
    const text = readFileSync(path.join(SRC, 'pool/options.ts'), 'utf8');
    const docs = [...text.matchAll(/@default (.+?) \(\{@link D\.(\w+)\}\)/g)];
    expect(docs.length).toBeGreaterThan(10);
    for (const [, shown, name] of docs) {
      const value = defaults[name!];
      const expected =
        typeof value === 'string'
          ? `'${value}'`
          : typeof value === 'object'
            ? JSON.stringify(value)
                .replace(/"/g, '')
                .replace(/[{,:]/g, (c) => `${c} `)
                .replace(/}/g, ' }')
            : String(value);
      expect(shown!.replace(/_/g, ''), name).toBe(expected);
    }
  });
});
