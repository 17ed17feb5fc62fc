/**
 * Problem texts the board sends to clients name files relative to the config directory, never
 * by the server's absolute paths (which tell a client where and how the board is installed).
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute paths and `file://` URLs inside a text (up to a quote, space or `:line`). */
const ABSOLUTE = /(?:file:\/\/)?(?<![\w.])\/(?:[^\s'"`:(),]+)/g;

/** Rewrites every absolute path or `file://` URL in `text` relative to `baseDir` (`./x.js`, `../lib/y.js`). */
export function withRelativePaths(text: string, baseDir: string): string {
  return text.replace(ABSOLUTE, (m) => {
    let path = m;
    if (m.startsWith('file://')) {
      try {
        path = fileURLToPath(m);
      } catch {
        return m;
      }
    }
    const rel = relative(baseDir, path) || '.';
    return rel.startsWith('..') ? rel : `./${rel}`;
  });
}
