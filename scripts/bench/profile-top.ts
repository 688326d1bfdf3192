// Summarise a V8 .cpuprofile (node --cpu-prof): self time by function and by source file.
//   tsx scripts/bench/profile-top.ts <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const file = process.argv[2];
if (!file) throw new Error('usage: profile-top.ts <file.cpuprofile> [top]');
const top = Number(process.argv[3] ?? 25);
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
for (let i = 0; i < p.samples.length; i++)
  self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const pct = (us: number) => ((100 * us) / total).toFixed(1).padStart(5);
const short = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/.*\/node_modules\//, 'nm/')
    .replace(/.*\/work\/main\//, '');
const fn = new Map<string, number>();
const files = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const where = n.callFrame.url ? `${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : '(native)';
  const k = `${n.callFrame.functionName || '(anonymous)'}  ${where}`;
  fn.set(k, (fn.get(k) ?? 0) + us);
  const f = n.callFrame.url ? short(n.callFrame.url) : `(${n.callFrame.functionName || 'native'})`;
  files.set(f, (files.get(f) ?? 0) + us);
}
const idle = [...fn].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, us]) => a + us, 0);
console.log(
  `profile ${file}: ${(total / 1e6).toFixed(1)} s sampled, JS thread busy ${((total - idle) / 1e6).toFixed(1)} s (${pct(total - idle).trim()}%)`,
);
console.log('\nself time by function:');
for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}%  ${k}`);
console.log('\nself time by file:');
for (const [k, us] of [...files].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}%  ${k}`);
