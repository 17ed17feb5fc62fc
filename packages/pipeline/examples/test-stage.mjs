#!/usr/bin/env node
// The stage test harness: one stage in its own thread, scripted input batches, its output and
// close() result back — no rings to build by hand.
// Usage: node packages/pipeline/examples/test-stage.mjs   (build first: npx tsc -b)
import { testStage } from '@ringkit/pipeline';

const r = await testStage({
  module: new URL('./upper-stages.mjs', import.meta.url),
  export: 'upper',
  inputs: { lines: { codec: 'json', records: [[{ text: 'hello' }, { text: 'ringkit' }], [{ text: 'stages' }]] } },
  output: { bytes: 1 << 12, codec: 'json' },
});
console.log(r);
