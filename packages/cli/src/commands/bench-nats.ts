/**
 * `ringkit bench --only nats.` (any `--only` naming only NATS cases): the `@ringkit/nats` bench
 * rows (ring → JetStream → ring packed and per entry, 8 B and 1 KiB, beside a plain
 * `@nats-io/jetstream` loop, core NATS), from `@ringkit/nats/bench`. It starts its own
 * `nats-server -js` unless `--nats <url>` names one.
 */
import { integerFlag } from '../flags.js';
import { StatusLine } from '../status-line.js';
import { isMissingPackage } from '../optional-package.js';

/** True when every `--only` term names NATS cases only (`nats`, `nats.`, `nats.packed`, …). */
export function onlyNats(terms: readonly string[]): boolean {
  return terms.length > 0 && terms.every((t) => t.startsWith('nats'));
}

/** Runs the NATS rows; resolves with the exit code. */
export async function natsBench(terms: readonly string[], values: { runs?: string; rounds?: string; json?: boolean; nats?: string }): Promise<number> {
  let rounds: number | undefined;
  try {
    rounds = values.rounds !== undefined ? integerFlag('rounds', values.rounds, 1, 100) : integerFlag('runs', values.runs, 1, 100);
  } catch (e) {
    process.stderr.write(`ringkit bench: ${(e as Error).message}\n`);
    return 2;
  }
  let mod: typeof import('@ringkit/nats/bench');
  try {
    mod = await import('@ringkit/nats/bench');
  } catch (e) {
    if (!isMissingPackage(e, '@ringkit/nats')) throw e;
    process.stderr.write('ringkit bench --only nats: needs @ringkit/nats: npm install @ringkit/nats\n');
    return 1;
  }
  const known = terms.filter((t) => mod.NATS_CASES.some((c) => c.includes(t)));
  if (known.length < terms.length) {
    process.stderr.write(`ringkit bench: no NATS case matches --only ${terms.filter((t) => !known.includes(t)).join(',')}; cases: ${mod.NATS_CASES.join(' ')}\n`);
    return 2;
  }
  const status = new StatusLine();
  try {
    const report = await mod.runNatsBench({
      only: terms, ...(rounds === undefined ? {} : { rounds }), ...(values.nats === undefined ? {} : { url: values.nats }),
      onProgress: (r, n, name) => status.update(`[round ${r + 1}/${n}] ${name}`),
    });
    status.end();
    process.stdout.write(values.json === true ? `${JSON.stringify(report)}\n` : mod.formatNatsBench(report));
    return 0;
  } catch (e) {
    status.end();
    process.stderr.write(`ringkit bench: ${(e as Error).message}\n`);
    return 1;
  }
}
