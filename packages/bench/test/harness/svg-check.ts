import assert from 'node:assert/strict';

/**
 * A strict-enough XML well-formedness check for the generated SVG: one root `<svg>` with the SVG
 * namespace, balanced tags, quoted attributes, and no bare `&` or `<` in text.
 */
export function checkWellFormedSvg(svg: string, what: string): void {
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, `${what}: root element`);
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  let roots = 0;
  while (i < svg.length) {
    const lt = svg.indexOf('<', i);
    const text = svg.slice(i, lt === -1 ? svg.length : lt);
    assert.doesNotMatch(text, /&(?!(amp|lt|gt|quot|apos);)/, `${what}: bare & in text near ${i}`);
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(svg);
    assert.ok(m !== null, `${what}: malformed tag at ${lt}: ${svg.slice(lt, lt + 60)}`);
    const [, close, name, , selfClose] = m;
    if (close === '/') assert.equal(stack.pop(), name, `${what}: </${name}> does not close the open tag`);
    else if (selfClose !== '/') {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
    i = tag.lastIndex;
  }
  assert.deepEqual(stack, [], `${what}: unclosed tags`);
  assert.equal(roots, 1, `${what}: one root element`);
}
