/**
 * Problem texts the board sends to clients name files relative to the config directory, never
 * by the server's absolute paths (which tell a client where and how the board is installed).
 */
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute paths and `file://` URLs inside a text (up to a quote, space or `:line`). */
const ABSOLUTE = /(?:file:\/\/)?(?<![\w.])\/(?:[^\s'"`:(),]+)/g;
/** This package's own folder (`.../packages/board` or `.../node_modules/@ringkit/board`). */
const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));

/**
 * How a client sees `path`: `./x.js` inside the config directory, `@ringkit/board/dist/...`
 * inside this package, `<package>/...` inside a `node_modules`, else `…/<file name>`.
 */
function shown(path: string, baseDir: string): string {
  const inBase = relative(baseDir, path);
  if (!inBase.startsWith('..')) return inBase ? `./${inBase}` : '.';
  const inPackage = relative(PACKAGE_DIR, path);
  if (!inPackage.startsWith('..')) return `@ringkit/board/${inPackage}`;
  const nm = path.lastIndexOf(`${sep}node_modules${sep}`);
  if (nm >= 0) return path.slice(nm + '/node_modules/'.length);
  return `…/${path.split(sep).pop() ?? ''}`;
}

/** Rewrites every absolute path or `file://` URL in `text` as the client may see it (relative to `baseDir`). */
export function withRelativePaths(text: string, baseDir: string): string {
  return text.replace(ABSOLUTE, (m) => {
    if (!m.startsWith('file://')) return shown(m, baseDir);
    try {
      return shown(fileURLToPath(m), baseDir);
    } catch {
      return m;
    }
  });
}
