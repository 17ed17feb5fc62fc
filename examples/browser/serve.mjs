#!/usr/bin/env node
// Serves the example page cross-origin isolated (COOP/COEP headers: without them a browser
// offers no SharedArrayBuffer), with @ringkit/core's ES modules at /ringkit-core/.
//
//   node examples/browser/serve.mjs [--port 8080] [--bundle] [--not-isolated]
//
// --bundle        serve main.js and ring-worker.js bundled by esbuild (one file each, core inside)
//                 instead of the native ES modules
// --not-isolated  leave the COOP/COEP headers out, to see what a page without them gets
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const coreDir = dirname(fileURLToPath(import.meta.resolve('@ringkit/core')));
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

/** Bundles the page script and the worker with esbuild: `/ringkit-core/…` imports come from the package. */
async function bundle() {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(here, 'main.js'), join(here, 'ring-worker.js')],
    bundle: true,
    format: 'esm',
    write: false,
    outdir: here,
    plugins: [{
      name: 'ringkit-core',
      setup(build) {
        build.onResolve({ filter: /^\/ringkit-core\// }, (a) => ({ path: join(coreDir, a.path.slice('/ringkit-core/'.length)) }));
      },
    }],
  });
  return new Map(result.outputFiles.map((f) => [`/${f.path.slice(here.length + 1)}`, f.contents]));
}

/**
 * Starts the server on 127.0.0.1:`port` (0 = any free port).
 * @returns its URL and a close function
 */
export async function serveExample({ port = 8080, bundled = false, isolated = true } = {}) {
  const built = bundled ? await bundle() : new Map();
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = path === '/' ? join(here, 'index.html')
      : path.startsWith('/ringkit-core/') ? join(coreDir, normalize(path.slice('/ringkit-core/'.length)))
        : join(here, normalize(path));
    if (!file.startsWith(here) && !file.startsWith(coreDir)) return void res.writeHead(403).end();
    const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' };
    if (isolated) Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
    try {
      const body = built.get(path) ?? (extname(file) === '.html' || extname(file) === '.js' ? await readFile(file) : undefined);
      if (body === undefined) throw new Error('not served');
      res.writeHead(200, headers).end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, bundle: { type: 'boolean' }, 'not-isolated': { type: 'boolean' } } });
  const { url } = await serveExample({ port: Number(values.port), bundled: values.bundle === true, isolated: values['not-isolated'] !== true });
  process.stderr.write(`ringkit browser example${values.bundle ? ' (esbuild bundle)' : ' (native ES modules)'}: open ${url}  (Ctrl-C stops)\n`);
}
