import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { htmlEscape, negotiateErrorFormat, pythonJsonString, renderWebobError } from '../../src/http/webob-format.ts';

describe('webob error negotiation (spec 2.5, 14.7)', () => {
  const cases: Array<[string | undefined, string]> = [
    [undefined, 'plain'],
    ['', 'plain'],
    ['text/plain', 'plain'],
    ['application/json', 'json'],
    ['application/json, text/plain', 'json'],
    ['application/*', 'json'],
    ['*/*', 'html'],
    ['text/*', 'html'],
    ['text/html', 'html'],
    ['application/json;q=0', 'plain'],
    ['application/json;q=0.5, text/html;q=0.4', 'json'],
    ['application/json, */*;q=0.1', 'json'],
    ['garbage;;', 'html'],
    // Media-type parameters before q match only offers with the same parameters: none here.
    ['application/json; charset=utf-8', 'plain'],
    ['text/html;level=1', 'plain'],
    ['application/json;charset=utf-8, */*;q=0.1', 'html'],
    // Parameters after q are accept-extensions and are ignored.
    ['application/json;q=0.9;foo=bar', 'json'],
  ];
  for (const [accept, expected] of cases) {
    it(`Accept ${JSON.stringify(accept)} → ${expected}`, () => assert.equal(negotiateErrorFormat(accept), expected));
  }
});

describe('webob error bodies', () => {
  it('escapes like Python: html.escape plus xmlcharrefreplace, json.dumps with ensure_ascii', () => {
    assert.equal(htmlEscape(`<a href="x">'&é`), '&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#233;');
    assert.equal(pythonJsonString('é\n"'), '"\\u00e9\\n\\""');
  });

  it("405 uses webob's own template", () => {
    const plain = renderWebobError(405, 'The method PATCH is not allowed for this resource. ', 'plain');
    assert.equal(plain.body, '405 Method Not Allowed\n\nThe method PATCH is not allowed for this resource. \n\n ');
  });
});
