// Layers only import downward (STYLE.md): wire → engine → sql → planner → exec → buffer → storage → plan/types.
// A module may import its own layer or any layer below it; this test fails on an upward import.
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';

/** Lower rank = higher layer. Layers of equal rank sit beside each other: neither may import the other. */
const RANK: Record<string, number> = {
  main: -1,
  embedded: 0,
  wire: 1,
  config: 1,
  cluster: 1,
  engine: 2,
  txn: 3,
  sql: 4,
  planner: 5,
  ml: 6,
  exec: 7,
  buffer: 8,
  storage: 9,
  plan: 10,
  types: 11,
};

function layerOf(srcRoot: string, file: string): string {
  const rel = path.relative(srcRoot, file);
  const first = rel.split(path.sep)[0];
  return first.endsWith('.ts') ? 'main' : first;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('layering', () => {
  it('has no upward imports between src/ folders', () => {
    const srcRoot = path.resolve(__dirname, '../../../src');
    const violations: string[] = [];
    for (const file of walk(srcRoot)) {
      const from = layerOf(srcRoot, file);
      const text = fs.readFileSync(file, 'utf8');
      const re = /(?:import|export)[^'"]*from\s+'([^']+)'|require\('([^']+)'\)/g;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        const spec = m[1] ?? m[2];
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), spec);
        const to = layerOf(srcRoot, target);
        if (RANK[from] === undefined || RANK[to] === undefined) continue;
        if (RANK[to] < RANK[from] || (RANK[to] === RANK[from] && to !== from))
          violations.push(`${path.relative(srcRoot, file)} (${from}) imports ${spec} (${to})`);
      }
    }
    expect(violations, violations.join('\n')).to.deep.equal([]);
  });
});
