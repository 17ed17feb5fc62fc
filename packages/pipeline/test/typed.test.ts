import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pipeline, TopologyError } from '../src/index.js';
import { doubler, source, summer } from './fixtures/typed-stages.js';

const mod = new URL('./fixtures/typed-stages.js', import.meta.url);
const FIXTURE = fileURLToPath(new URL('../../test/fixtures/typed-stages.ts', import.meta.url));

test('typed stages compile under tsc --strict; each @ts-expect-error misuse is refused by the types', () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const args = ['--strict', '--noEmit', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2023', '--lib', 'es2023,es2024.sharedmemory', '--types', 'node', '--typeRoots', fileURLToPath(new URL('../../../../node_modules/@types', import.meta.url))];
  const r = spawnSync(process.execPath, [tsc, ...args, FIXTURE], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  // Without the directives the same file fails, once per misuse: they really are type errors.
  const dir = mkdtempSync(join(tmpdir(), 'ringkit-typed-'));
  try {
    const index = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
    const src = readFileSync(FIXTURE, 'utf8');
    const directives = src.match(/^\s*\/\/ @ts-expect-error/gm)!.length;
    const bare = src.replace(/^\s*\/\/ @ts-expect-error.*\n/gm, '').replace("'../../src/index.js'", JSON.stringify(index.replace(/\.ts$/, '.js')));
    writeFileSync(join(dir, 'bare.ts'), bare);
    const b = spawnSync(process.execPath, [tsc, ...args, join(dir, 'bare.ts')], { encoding: 'utf8', cwd: dir });
    assert.notEqual(b.status, 0);
    const errors = b.stdout.split('\n').filter((l) => l.includes('bare.ts(') && l.includes('error TS'));
    assert.equal(errors.length, directives, b.stdout);
    assert.ok(directives >= 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('typed stages run: options parsed, inputs and outputs as declared', async () => {
  assert.deepEqual(doubler.inputSpecs(), [{ from: 'source', schema: { value: 'f64', n: 'u32' } }]);
  const p = new Pipeline({ levels: [
    { stages: [{ name: 'source', module: mod, export: 'source', options: 50, output: { schema: source.definition.output!, capacity: 16 } }] },
    { stages: [{ name: 'doubler', module: mod, export: 'doubler', options: { factor: 4 }, inputs: doubler.inputSpecs(), output: { schema: doubler.definition.output!, capacity: 16 } }] },
    { stages: [{ name: 'summer', module: mod, export: 'summer', inputs: summer.inputSpecs() }] },
  ] });
  await p.start();
  const { results } = await p.stop();
  // Σ 1.5·i·4 for i < 50, and Σ i as bigint tags.
  assert.deepEqual(results.summer, { sum: 6 * (49 * 50) / 2, tags: (49 * 50) / 2 });
});

test('a typed stage on rings other than its definition is a TopologyError at start(), naming the stage', async () => {
  const p = new Pipeline({ levels: [
    { stages: [{ name: 'source', module: mod, export: 'source', output: { schema: { value: 'f64' }, capacity: 16 } }] },
    { stages: [{ name: 'doubler', module: mod, export: 'doubler', inputs: [{ from: 'source' }], output: { schema: { doubled: 'f64', tag: 'i64' }, capacity: 16 } }] },
  ] });
  await assert.rejects(p.start(), (e: Error) => e instanceof TopologyError && /^stage "(source|doubler)": defineStage: /.test(e.message) ? true : assert.fail(e.message));
});
