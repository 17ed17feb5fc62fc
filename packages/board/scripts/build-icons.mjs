#!/usr/bin/env node
// Builds the board's icon assets under static/vendor/ from two development dependencies, so the
// published package carries ~0.8 MB of icons instead of depending on lucide-static (67 MB
// installed) and @fortawesome/fontawesome-free (42 MB installed):
//
//   lucide-icons.json            every lucide icon: {name: inner SVG markup}, plus {alias: name}
//   lucide-LICENSE               lucide's ISC licence
//   fontawesome-icons.json       every FontAwesome Free icon name with its free styles
//                                ("s" solid, "r" regular, "b" brands), {alias: name}, and the
//                                stylesheet's other fa-* classes (fa-spin, fa-2x, fa-fw, ...)
//   fontawesome/css/all.min.css  FontAwesome Free's stylesheet (icons and animation classes)
//   fontawesome/webfonts/*.woff2 its fonts (every browser the board supports reads woff2)
//   fontawesome/LICENSE.txt      its licence (icons CC BY 4.0, fonts SIL OFL 1.1, code MIT)
//
// Usage: node packages/board/scripts/build-icons.mjs [--check]
//   --check   exit 1 if the checked-in files differ from what the installed packages give
//             (the test suite runs the same check, so the files cannot drift silently).
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
/** Where the generated files go. */
export const VENDOR_DIR = fileURLToPath(new URL('../static/vendor/', import.meta.url));

const packageDir = (name) => dirname(require.resolve(`${name}/package.json`));
const versionOf = (name) => JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')).version;

/** The inner markup of a lucide SVG file, whitespace collapsed. */
function svgBody(text) {
  return text.replace(/^[\s\S]*?<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '').replace(/\s+/g, ' ').replace(/ \/>/g, '/>').replace(/> </g, '><').trim();
}

function lucideAssets() {
  const dir = packageDir('lucide-static');
  const canonical = Object.keys(JSON.parse(readFileSync(join(dir, 'icon-nodes.json'), 'utf8'))).sort();
  const body = (name) => svgBody(readFileSync(join(dir, 'icons', `${name}.svg`), 'utf8'));
  const icons = {};
  const byBody = new Map();
  for (const name of canonical) {
    icons[name] = body(name);
    if (!byBody.has(icons[name])) byBody.set(icons[name], name);
  }
  // The icons/ folder also holds older names; each is a copy of a canonical icon.
  const aliases = {};
  for (const file of readdirSync(join(dir, 'icons')).sort()) {
    const name = file.slice(0, -'.svg'.length);
    if (!file.endsWith('.svg') || name in icons) continue;
    const b = body(name);
    const target = byBody.get(b);
    if (target) aliases[name] = target;
    else icons[name] = b;
  }
  const json = { source: `lucide-static@${versionOf('lucide-static')}`, license: 'ISC', icons, aliases };
  return {
    'lucide-icons.json': `${JSON.stringify(json)}\n`,
    'lucide-LICENSE': readFileSync(join(dir, 'LICENSE')),
  };
}

const FA_STYLES = { solid: 's', regular: 'r', brands: 'b' };

function fontAwesomeAssets() {
  const dir = packageDir('@fortawesome/fontawesome-free');
  const meta = JSON.parse(readFileSync(join(dir, 'metadata', 'icon-families.json'), 'utf8'));
  const styles = {};
  const aliases = {};
  for (const name of Object.keys(meta).sort()) {
    const free = meta[name].familyStylesByLicense?.free ?? [];
    const s = free.filter((f) => f.family === 'classic' && f.style in FA_STYLES).map((f) => FA_STYLES[f.style]).sort().join('');
    if (!s) continue;
    styles[name] = s;
    for (const alias of meta[name].aliases?.names ?? []) aliases[alias] = name;
  }
  const css = readFileSync(join(dir, 'css', 'all.min.css'));
  // Every other fa-* class of the stylesheet: animations, sizes, rotations, style prefixes.
  const modifiers = [...new Set([...css.toString('utf8').matchAll(/\.(fa-[a-z0-9-]+)/g)].map((m) => m[1].slice(3)))]
    .filter((c) => !(c in styles) && !(c in aliases)).sort();
  const out = {
    'fontawesome-icons.json': `${JSON.stringify({ source: `@fortawesome/fontawesome-free@${versionOf('@fortawesome/fontawesome-free')}`, styles, aliases, modifiers })}\n`,
    'fontawesome/css/all.min.css': css,
    'fontawesome/LICENSE.txt': readFileSync(join(dir, 'LICENSE.txt')),
  };
  for (const f of readdirSync(join(dir, 'webfonts')).sort()) if (f.endsWith('.woff2')) out[`fontawesome/webfonts/${f}`] = readFileSync(join(dir, 'webfonts', f));
  return out;
}

/** Every generated file: path relative to {@link VENDOR_DIR} → contents. */
export function buildIconAssets() {
  return { ...lucideAssets(), ...fontAwesomeAssets() };
}

/** Paths (relative to {@link VENDOR_DIR}) whose checked-in contents differ from a fresh build. */
export function staleIconAssets() {
  const stale = [];
  for (const [rel, contents] of Object.entries(buildIconAssets())) {
    const path = join(VENDOR_DIR, rel);
    if (!existsSync(path) || !readFileSync(path).equals(Buffer.from(contents))) stale.push(rel);
  }
  return stale;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const stale = staleIconAssets();
    if (stale.length > 0) {
      console.error(`stale icon assets (run node packages/board/scripts/build-icons.mjs): ${stale.join(', ')}`);
      process.exit(1);
    }
    console.log('icon assets are up to date');
  } else {
    for (const [rel, contents] of Object.entries(buildIconAssets())) {
      const path = join(VENDOR_DIR, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, contents);
    }
    console.log(`wrote ${VENDOR_DIR}`);
  }
}
