/**
 * A QR code drawn with Unicode half blocks, for a terminal: `ringkit board` prints one of its
 * login link so a tablet can join by pointing its camera at the screen. Drawn by `uqr`.
 */
import { renderUnicodeCompact } from 'uqr';

/** `text` as a QR code in Unicode half blocks (two rows of modules per line), with a one-module border. */
export function terminalQr(text: string): string {
  return renderUnicodeCompact(text, { border: 1 });
}
