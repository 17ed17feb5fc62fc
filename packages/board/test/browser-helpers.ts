// Shared by the browser tests: Debian's Chromium through playwright-core, where screenshots go,
// and a check that a screenshot is not blank.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The browser: Debian's Chromium (override with $CHROMIUM_PATH). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Screenshots go to packages/board/docs/ with RINGKIT_UPDATE_DOCS=1 (to refresh the README's
// pictures), else to a temporary directory so a test run leaves the tree clean.
const DOCS = process.env.RINGKIT_UPDATE_DOCS === '1' ? fileURLToPath(new URL('../../docs/', import.meta.url)) : `${mkdtempSync(join(tmpdir(), 'ringkit-board-shots-'))}/`;

/** Writes a screenshot as `packages/board/docs/<name>` (with RINGKIT_UPDATE_DOCS=1) or to a temporary directory. */
export function saveShot(name: string, png: Buffer): string {
  mkdirSync(DOCS, { recursive: true });
  writeFileSync(`${DOCS}${name}`, png);
  return `${DOCS}${name}`;
}

/** Launches headless Chromium; fails (never skips) when it is missing. */
export async function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run apt-get install -y chromium (browser tests never skip)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** Counts pixels that differ from the top-left one, by drawing the PNG into a canvas. */
async function nonBlankPixels(page: Page, png: Buffer): Promise<{ differing: number; total: number; colours: number }> {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let differing = 0;
    const colours = new Set<number>();
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) differing++;
      if (i % 64 === 0) colours.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
    }
    return { differing, total: d.length / 4, colours: colours.size };
  }, png.toString('base64'));
}

/** Asserts that a screenshot is not blank (drawn in a fresh page of `page`'s context). */
export async function assertNonBlank(page: Page, png: Buffer): Promise<void> {
  const blank = await page.context().newPage();
  const r = await nonBlankPixels(blank, png);
  await blank.close();
  assert.ok(r.differing > r.total * 0.05 && r.colours > 10, `screenshot looks blank: ${JSON.stringify(r)}`);
}
