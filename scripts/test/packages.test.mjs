// The packages as a user gets them: `npm pack` of every publishable workspace, the tarballs
// installed into a brand-new project in a temporary directory outside the repository, then a
// smoke test there — on the minimum Node version that `engines` states (from the npm package
// node-<platform>-<arch>) and on the Node running this test:
// - ringkit alone (with the @ringkit packages it depends on, without the optional board): installs
//   with no warnings, `npx ringkit --help`, `npx ringkit demo --beats 50`, the board's absence
//   explained; its installed size (`du -sh node_modules`);
// - every package: metadata, LICENSE and README in each tarball, no sourcemaps, ESM import and
//   require() of every entry point, a `tsc --strict` consumer (nodenext and bundler resolution),
//   and the board serving its pages and assets from the installed tarball.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const MIN_NODE = /^>=(\d+\.\d+\.\d+)$/.exec(rootPkg.engines.node)?.[1];

/** Publishable workspaces: { dir, name, pkg }. */
const WORKSPACES = rootPkg.workspaces
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) }))
  .filter((w) => w.pkg.private !== true)
  .map((w) => ({ ...w, name: w.pkg.name }));
/** What `npm i ringkit` brings of ours: the CLI and its @ringkit dependencies (not the optional board). */
const CLI = WORKSPACES.find((w) => w.name === 'ringkit');
const CLI_SET = [CLI, ...Object.keys(CLI.pkg.dependencies).filter((d) => d.startsWith('@ringkit/')).map((d) => WORKSPACES.find((w) => w.name === d))];

/** The npm and npx that run this test (npm_execpath under `npm test`, else the one on PATH). */
const NPM_CLI = process.env.npm_execpath?.endsWith('npm-cli.js') ? process.env.npm_execpath
  : realpathSync(spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim());
const NPX_CLI = join(dirname(NPM_CLI), 'npx-cli.js');

/** The environment for a child in the smoke project: `node` on PATH is `nodeBin`; no npm_* of this run. */
function envFor(nodeBin) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_|^INIT_CWD$|^NODE_TEST_CONTEXT$/i.test(k)));
  return { ...env, PATH: `${dirname(nodeBin)}:${env.PATH}`, NO_COLOR: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

function run(nodeBin, args, cwd, what) {
  const r = spawnSync(nodeBin, args, { cwd, encoding: 'utf8', env: envFor(nodeBin), timeout: 300_000, maxBuffer: 64 << 20 });
  assert.equal(r.error, undefined, `${what}: ${r.error?.message}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, what };
}

function ok(r) {
  assert.equal(r.code, 0, `${r.what} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The Node binary of the stated minimum version, from the npm package node-<platform>-<arch> (cached in the temp dir). */
function minimumNode() {
  const prefix = join(tmpdir(), `ringkit-node-${MIN_NODE}`);
  const bin = join(prefix, 'node_modules', `node-${process.platform}-${process.arch}`, 'bin', 'node');
  if (spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout?.trim() !== `v${MIN_NODE}`) {
    ok(run(process.execPath, [NPM_CLI, 'install', '--no-save', '--prefer-offline', '--prefix', prefix, `node-${process.platform}-${process.arch}@${MIN_NODE}`], tmpdir(), `npm install node ${MIN_NODE}`));
  }
  assert.equal(spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim(), `v${MIN_NODE}`);
  return bin;
}

/** `npm install <tarballs and packages>` in `project` with `nodeBin`; returns npm's warning lines. */
function install(nodeBin, project, specs) {
  const r = ok(run(nodeBin, [NPM_CLI, 'install', '--prefer-offline', '--no-audit', '--no-fund', ...specs], project, `npm install in ${project}`));
  return `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /^npm warn/i.test(l));
}

/**
 * npm 11's advisory that a dependency has install scripts the project has not approved
 * (`allowScripts`) is addressed to whoever installs, about third-party packages (msgpackr-extract
 * builds msgpackr's native accelerator); it is listed, not counted. Every other warning counts.
 */
const isInstallScriptsAdvisory = (l) => /^npm warn install-scripts/i.test(l);

/** Every entry point of a package, as import specifiers (`./package.json` apart). */
function entryPoints(w) {
  const exports = w.pkg.exports ?? { '.': w.pkg.main };
  return Object.keys(exports).filter((k) => k !== './package.json').map((k) => (k === '.' ? w.name : `${w.name}/${k.slice(2)}`));
}

function walkFiles(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walkFiles(p, out);
    else out.push(p);
  }
  return out;
}

const SMOKE_MJS = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const report = {};
for (const spec of JSON.parse(process.argv[2])) {
  const esm = Object.keys(await import(spec)).sort();
  let cjs;
  try { cjs = Object.keys(require(spec)).sort(); } catch (e) { cjs = String(e.code) + ': ' + e.message.split('\\n')[0]; }
  report[spec] = { esm, cjs };
}
for (const name of JSON.parse(process.argv[3])) report[name + '/package.json'] = require(name + '/package.json').version;
process.stdout.write(JSON.stringify(report));
`;

/** A strict TypeScript consumer: every entry point, and the core API used with its types. */
function consumerSource(specs) {
  return [
    ...specs.map((s, i) => `import * as entry${i} from '${s}';`),
    "import { Ring, POLL_CLOSED, RingkitError, type Schema } from '@ringkit/core';",
    '',
    'const ring = Ring.create({ capacity: 16, schema: { price: \'f64\', qty: \'u32\' } });',
    'const price: Float64Array = ring.columns.price;',
    'const qty: Uint32Array = ring.columns.qty;',
    'const consumer = ring.addConsumer();',
    'const producer = ring.producer();',
    'const hi: number = producer.claim(1);',
    'price[hi & ring.mask] = 1.5;',
    'qty[hi & ring.mask] = 2;',
    'producer.publish(hi);',
    'const n: number = consumer.poll();',
    'const closed: boolean = n === POLL_CLOSED;',
    'const schema: Schema = { value: \'f64\' };',
    'const isError = (e: unknown): e is RingkitError => e instanceof RingkitError;',
    `export const all = [${specs.map((_, i) => `entry${i}`).join(', ')}, closed, schema, isError];`,
    '',
  ].join('\n');
}

describe('packed packages installed into a fresh project outside the repository', () => {
  const work = mkdtempSync(join(tmpdir(), 'ringkit-packages-'));
  const tgz = join(work, 'tgz');
  const project = join(work, 'project');
  /** package name → its tarball's path and file list */
  const packed = new Map();
  let minNode;

  before(() => {
    assert.ok(MIN_NODE, `engines.node of the root package.json must read ">=x.y.z": ${rootPkg.engines.node}`);
    mkdirSync(tgz);
    mkdirSync(project);
    const r = ok(run(process.execPath, [NPM_CLI, 'pack', '--json', '--pack-destination', tgz, ...WORKSPACES.flatMap((w) => ['-w', w.name])], ROOT, 'npm pack'));
    for (const p of JSON.parse(r.stdout)) packed.set(p.name, { file: join(tgz, p.filename), files: p.files.map((f) => f.path), size: p.size });
    minNode = minimumNode();
    writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'ringkit-smoke', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
  });

  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('each tarball: package.json metadata, LICENSE, README, no sourcemaps, nothing internal', () => {
    assert.deepEqual([...packed.keys()].sort(), WORKSPACES.map((w) => w.name).sort());
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    assert.match(license, /^MIT License\n/);
    for (const w of WORKSPACES) {
      const { files } = packed.get(w.name);
      const where = `${w.name} (${w.dir})`;
      for (const f of ['package.json', 'LICENSE', 'README.md']) assert.ok(files.includes(f), `${where}: ${f} missing from the tarball`);
      assert.equal(readFileSync(join(ROOT, w.dir, 'LICENSE'), 'utf8'), license, `${where}: LICENSE differs from the root's`);
      assert.deepEqual(files.filter((f) => f.endsWith('.map') || f.startsWith('src/') || f.includes('/test/') || /^dist\/src\/bench\./.test(f)), [], `${where}: sourcemaps, sources, tests or internal benches in the tarball`);
      const p = w.pkg;
      assert.equal(p.license, 'MIT', where);
      assert.equal(p.engines?.node, rootPkg.engines.node, `${where}: engines.node`);
      assert.deepEqual(p.repository, { ...rootPkg.repository, directory: w.dir }, `${where}: repository`);
      assert.equal(p.homepage, `${rootPkg.homepage.replace(/#readme$/, '')}/tree/main/${w.dir}#readme`, `${where}: homepage`);
      assert.ok(Array.isArray(p.keywords) && p.keywords.length >= 3, `${where}: keywords`);
      assert.ok(typeof p.description === 'string' && p.description.length > 20, `${where}: description`);
      assert.equal(p.exports?.['./package.json'], './package.json', `${where}: ./package.json in exports`);
      assert.match(p.scripts?.test ?? '', /run-tests\.mjs/, `${where}: a test script (npm test -w ${w.name})`);
    }
    assert.match(WORKSPACES.find((w) => w.name === '@ringkit/pipeline').pkg.description, /Node\.js only/);
  });

  it(`ringkit alone (no board) installs on Node ${MIN_NODE} without a warning; --help, demo --beats 50; the board's absence is explained`, (t) => {
    const warnings = install(minNode, project, CLI_SET.map((w) => packed.get(w.name).file));
    assert.deepEqual(warnings, [], 'npm warnings installing ringkit');
    const du = spawnSync('du', ['-sh', 'node_modules'], { cwd: project, encoding: 'utf8' }).stdout.split('\t')[0];
    const count = readdirSync(join(project, 'node_modules')).flatMap((d) => (d.startsWith('@') ? readdirSync(join(project, 'node_modules', d)) : d.startsWith('.') ? [] : [d])).length;
    t.diagnostic(`npm i ringkit (tarballs of ${CLI_SET.map((w) => w.name).join(', ')}): ${count} packages, du -sh node_modules = ${du}`);
    assert.ok(!existsSync(join(project, 'node_modules', '@ringkit', 'board')), 'the board is not installed with the CLI');

    const help = ok(run(minNode, [NPX_CLI, '--no-install', 'ringkit', '--help'], project, 'npx ringkit --help'));
    assert.match(help.stdout, /^Usage: ringkit <command> \[options\]\n/);
    const demo = ok(run(minNode, [NPX_CLI, '--no-install', 'ringkit', 'demo', '--beats', '50'], project, 'npx ringkit demo --beats 50'));
    const generated = Number(/^Generator: ([\d,]+) generated$/m.exec(demo.stdout)?.[1].replaceAll(',', ''));
    const processed = /^Worker: ([\d,]+) processed, 50 heartbeats$/m.exec(demo.stdout)?.[1].replaceAll(',', '');
    const counts = /^Logger: F:(\d+) B:(\d+) FB:(\d+) V:(\d+)$/m.exec(demo.stdout)?.slice(1).map(Number);
    // Exact bookkeeping (the count itself depends on how soon the generator thread gets a core).
    assert.ok(generated >= 0 && Number(processed) === generated && counts?.reduce((a, b) => a + b) === generated, demo.stdout);
    for (const args of [['board'], ['demo', '--board', '--beats', '5']]) {
      const r = run(minNode, [NPX_CLI, '--no-install', 'ringkit', ...args], project, `npx ringkit ${args.join(' ')}`);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /the control board is a separate package, not installed here: run `npm install @ringkit\/board`/);
    }
  });

  it(`every package: ESM import and require() of each entry point, on Node ${MIN_NODE} and ${process.version}`, (t) => {
    const warnings = install(minNode, project, [...WORKSPACES.filter((w) => !CLI_SET.includes(w)).map((w) => packed.get(w.name).file), `@types/node@${process.versions.node.split('.')[0]}`]);
    t.diagnostic(`npm warnings installing the other packages: ${warnings.length === 0 ? 'none' : warnings.join(' | ')}`);
    assert.deepEqual(warnings.filter((l) => !isInstallScriptsAdvisory(l)), [], 'npm warnings installing the other packages');
    for (const w of WORKSPACES) {
      for (const file of walkFiles(join(project, 'node_modules', ...w.name.split('/')))) {
        if (file.endsWith('.js')) assert.doesNotMatch(readFileSync(file, 'utf8'), /^\/\/# sourceMappingURL=/m, `${file} points at a sourcemap`);
      }
    }
    writeFileSync(join(project, 'smoke.mjs'), SMOKE_MJS);
    const specs = WORKSPACES.flatMap(entryPoints);
    for (const node of [minNode, process.execPath]) {
      const r = ok(run(node, ['smoke.mjs', JSON.stringify(specs), JSON.stringify(WORKSPACES.map((w) => w.name))], project, `smoke.mjs on ${node}`));
      assert.equal(r.stderr, '', `smoke.mjs printed on stderr (a warning?) on ${node}`);
      const report = JSON.parse(r.stdout);
      for (const spec of specs) {
        assert.ok(report[spec].esm.length > 0, `${spec}: import() gave no exports`);
        assert.deepEqual(report[spec].cjs, report[spec].esm, `${spec}: require() on ${node}`);
      }
      for (const w of WORKSPACES) assert.equal(report[`${w.name}/package.json`], w.pkg.version);
    }
  });

  it('a tsc --strict consumer of every entry point typechecks (module nodenext and bundler)', () => {
    const specs = WORKSPACES.flatMap(entryPoints);
    writeFileSync(join(project, 'consumer.ts'), consumerSource(specs));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    // nodenext also checks every declaration file (ours and our dependencies'); bundler only the consumer (half the time).
    for (const [name, module, moduleResolution, skipLibCheck] of [['nodenext', 'nodenext', 'nodenext', false], ['bundler', 'esnext', 'bundler', true]]) {
      writeFileSync(join(project, `tsconfig.${name}.json`), JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'es2022', module, moduleResolution, lib: ['es2023', 'es2024.sharedmemory'], types: ['node'], skipLibCheck },
        files: ['consumer.ts'],
      }));
      ok(run(process.execPath, [tsc, '-p', `tsconfig.${name}.json`], project, `tsc --strict (${name})`));
    }
  });

  it('with the board installed: ringkit board serves its page and every asset it links from the tarball', async () => {
    // The installed bin itself (npx does not pass SIGINT on to the command it runs).
    const child = spawn(process.execPath, [join(project, 'node_modules', '.bin', 'ringkit'), 'board', '--port', '0'], { cwd: project, env: { ...envFor(process.execPath), RINGKIT_BOARD_TOKEN: '' } });
    let err = '';
    child.stderr.on('data', (d) => { err += String(d); });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      for (let i = 0; i < 600 && !err.includes('Ctrl-C') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 25));
      const link = /one-time login link\): (\S+)/.exec(err)?.[1];
      assert.ok(link, err);
      const login = await fetch(link, { redirect: 'manual' });
      assert.equal(login.status, 303);
      const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const base = new URL('/', link);
      const page = await fetch(base, { headers: { cookie } });
      assert.equal(page.status, 200);
      const html = await page.text();
      // Local assets: every src/href that is not another origin, a data: URL or a fragment.
      const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((p) => !p.includes(':') && !p.startsWith('#') && p !== '/');
      assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), `the page links its script and style: ${assets.join(' ')}`);
      for (const a of new Set(assets)) assert.equal((await fetch(new URL(a, base), { headers: { cookie } })).status, 200, a);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, err);
  });
});
