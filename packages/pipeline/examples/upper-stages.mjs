// Stage module of test-stage.mjs: JSON text records in, upper-cased records out.
export function upper(ctx) {
  let n = 0;
  return {
    async onRecord(value) {
      await ctx.send({ text: value.text.toUpperCase(), n: n++ });
    },
    close: () => ({ records: n }),
  };
}
