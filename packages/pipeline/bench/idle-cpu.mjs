#!/usr/bin/env node
// Idle cost of a pipeline: CPU time of the whole process (every thread) while nothing flows.
// Consumer stages wait on their doorbell (one shared word rung by every producer of their
// inputs); sources here wait in ctx.waitNotify. Prints CPU % of one core, per stage and per
// consumer shape (1, 2, 4 inputs), each measured on its own pipeline, and the main thread alone.
// Usage: node packages/pipeline/bench/idle-cpu.mjs [seconds=10]   (build first: npx tsc -b)
import { Pipeline } from '@ringkit/pipeline';

const seconds = Number(process.argv[2] ?? 10);
const mod = new URL('./idle-stage.mjs', import.meta.url);
const V = { value: 'f64' };

function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function measure(label, spec) {
  const p = spec === undefined ? undefined : new Pipeline(spec);
  await p?.start();
  await new Promise((r) => setTimeout(r, 1000)); // settle
  const c0 = cpuMs();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const pct = ((cpuMs() - c0) / (performance.now() - t0)) * 100;
  await p?.stop();
  const stages = spec === undefined ? 0 : spec.levels.reduce((n, l) => n + l.stages.length, 0);
  return { label, stages, pct };
}

function shape(inputs) {
  const sources = Array.from({ length: inputs }, (_, i) => ({ name: `src${i}`, module: mod, export: 'idleSource', output: { schema: V, capacity: 1024 } }));
  return { levels: [{ stages: sources }, { stages: [{ name: 'consumer', module: mod, export: 'counter', inputs: sources.map((s) => ({ from: s.name })) }] }] };
}

const rows = [await measure('main thread only (no pipeline)', undefined)];
for (const n of [1, 2, 4]) rows.push(await measure(`${n} idle source${n > 1 ? 's' : ''} + 1 consumer with ${n} input${n > 1 ? 's' : ''}`, shape(n)));
const base = rows[0].pct;
console.log(`idle CPU over ${seconds} s per pipeline (process.cpuUsage of every thread; % of one core)`);
console.log('| pipeline | stages | process CPU | above the bare process | per stage |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) {
  const above = r.pct - base;
  console.log(`| ${r.label} | ${r.stages} | ${r.pct.toFixed(3)} % | ${r.stages === 0 ? '—' : `${above.toFixed(3)} %`} | ${r.stages === 0 ? '—' : `${(above / r.stages).toFixed(3)} %`} |`);
}
