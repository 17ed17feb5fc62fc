/**
 * The example live controller (the reference's `dynamic_board_controller`): reads the board's
 * live config, adds a "Live Demos" page with two buttons, stages and applies it, then for 60 s
 * animates the first button's icon and text every 2 s and pushes a random-walk sparkline to the
 * second every 0.5 s.
 *
 * Run (with `ringkit board` running):
 *   RINGKIT_BOARD_TOKEN=<token> node packages/board/dist/src/examples/live-controller.js \
 *     [--url http://127.0.0.1:8000/] [--seconds 60] [--delay 3]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const ICONS = ['hourglass', 'loader', 'refresh-cw', 'zap', 'star', 'image'];
const PAGE_ID = 'dynamic_demo_page';
const ICON_BUTTON = 'icon_text_live_button';
const SPARK_BUTTON = 'sparkline_live_button';

interface Config {
  version: number;
  ui: { pages: Array<{ id: string; name: string; layout?: string; gridColumns?: number | null; buttons: Array<Record<string, unknown>> }> };
  actions: { actions: Array<{ id: string }> };
}

const hhmmss = (): string => new Date().toTimeString().slice(0, 8);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { url: { type: 'string' }, token: { type: 'string' }, seconds: { type: 'string' }, delay: { type: 'string' } },
  });
  const base = new URL(values.url ?? process.env.RINGKIT_BOARD_URL ?? 'http://127.0.0.1:8000/');
  const token = values.token ?? process.env.RINGKIT_BOARD_TOKEN;
  const seconds = Number(values.seconds ?? 60);
  const delay = Number(values.delay ?? 3);
  if (!token) {
    process.stderr.write('live-controller: no token; pass --token T or set RINGKIT_BOARD_TOKEN (printed by `ringkit board`)\n');
    return 2;
  }
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const r = await fetch(new URL(path, base), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path} -> HTTP ${r.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as unknown;
  };

  const cfg = (await call('GET', 'api/v1/config')) as Config;
  const action = cfg.actions.actions.find((a) => a.id === 'log_current_time_action')?.id ?? cfg.actions.actions[0]?.id;
  if (!action) throw new Error('the board has no action to attach the demo buttons to');
  let page = cfg.ui.pages.find((p) => p.id === PAGE_ID);
  if (!page) cfg.ui.pages.push((page = { id: PAGE_ID, name: 'Live Demos', layout: 'grid', gridColumns: 2, buttons: [] }));
  if (!page.buttons.some((b) => b.id === ICON_BUTTON)) page.buttons.push({ id: ICON_BUTTON, text: 'Icon/Text Demo', icon: 'image', style: 'button-secondary', action, params: {} });
  if (!page.buttons.some((b) => b.id === SPARK_BUTTON)) page.buttons.push({ id: SPARK_BUTTON, text: 'Sparkline Demo', icon: null, style: 'button-success', action, params: {} });
  // The read, changed, posted back as it is: its `version` makes the stage fail (412) if another
  // writer changed the board since the read, instead of silently undoing their change.
  const staged = (await call('POST', 'api/v1/config/stage', cfg)) as { version: number };
  const applied = (await call('POST', `api/v1/config/apply?version=${staged.version}`)) as { message: string; version: number };
  process.stdout.write(`staged version ${staged.version}; ${applied.message} (config version ${applied.version})\n`);
  await sleep(delay * 1000);

  const update = (u: Record<string, unknown>): Promise<unknown> => call('POST', 'api/v1/buttons/update_content', u);
  const series = Array.from({ length: 15 }, () => 5 + Math.random() * 20);
  let stop = false;
  process.once('SIGINT', () => { stop = true; });
  const end = Date.now() + seconds * 1000;
  let nextIcon = 0;
  let nextSpark = 0;
  let icon = 0;
  let sent = 0;
  while (!stop && Date.now() < end) {
    const now = Date.now();
    if (now >= nextIcon) {
      nextIcon = now + 2000;
      await update({ buttonId: ICON_BUTTON, text: `Icon: ${100 + Math.floor(Math.random() * 900)} @ ${hhmmss()}`, icon: ICONS[icon++ % ICONS.length] });
      sent++;
    }
    if (now >= nextSpark) {
      nextSpark = now + 500;
      const last = series.at(-1) ?? 10 + Math.random() * 10;
      series.push(Math.min(30, Math.max(0, last + (-2.5 + Math.random() * 5.2))));
      if (series.length > 30) series.splice(0, series.length - 30);
      await update({ buttonId: SPARK_BUTTON, text: `Data Points: ${series.length}`, sparkline: { data: series, color: '#FFC107', strokeWidth: 2 } });
      sent++;
    }
    await sleep(100);
  }
  if (stop) process.stdout.write('Live update demos interrupted by user.\n');
  await update({ buttonId: ICON_BUTTON, text: 'Icon Demo Done', icon: 'circle-stop' });
  await update({ buttonId: SPARK_BUTTON, text: 'Sparkline Done', sparkline: { data: [] } });
  process.stdout.write(`sent ${sent + 2} live updates over ${seconds} s; done.\n`);
  return 0;
}

main().then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    process.stderr.write(`live-controller: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
