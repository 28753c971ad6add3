/**
 * Glance returns webob's own error pages, negotiated from `Accept` (spec section 2.5). This module
 * reproduces the three formats byte for byte: plain text, flat JSON and HTML.
 */
import { statusTitle } from '../base/errors.ts';

export type ErrorFormat = 'plain' | 'json' | 'html';

const OFFERS = ['text/html', 'application/json'] as const;
const MEDIA_RANGE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)\/([!#$%&'*+.^_`|~0-9A-Za-z-]+)$/;
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** `hasParams`: media-type parameters before `q` (webob then matches only offers carrying them). */
interface MediaRange {
  type: string;
  subtype: string;
  q: number;
  hasParams: boolean;
}

/** Parses an Accept header; `undefined` means webob would call it invalid (it then accepts anything). */
function parseAccept(header: string): MediaRange[] | undefined {
  const ranges: MediaRange[] = [];
  for (const element of header.split(',')) {
    const trimmed = element.trim();
    if (trimmed === '') continue;
    const [range = '', ...params] = trimmed.split(';').map((part) => part.trim());
    const match = MEDIA_RANGE.exec(range);
    if (!match) return undefined;
    let q = 1;
    let seenQ = false;
    let hasParams = false;
    for (const param of params) {
      if (param === '') return undefined;
      const eq = param.indexOf('=');
      if (eq <= 0) return undefined;
      if (!seenQ && param.slice(0, eq).trim().toLowerCase() === 'q') {
        const value = param.slice(eq + 1).trim();
        if (!QVALUE.test(value)) return undefined;
        q = Number(value);
        seenQ = true;
      } else if (!seenQ) {
        hasParams = true; // parameters after q are accept-extensions, which webob ignores
      }
    }
    const type = match[1]!.toLowerCase();
    const subtype = match[2]!.toLowerCase();
    if (type === '*' && subtype !== '*') return undefined;
    ranges.push({ type, subtype, q, hasParams });
  }
  return ranges;
}

/** The q-value webob gives an offer: that of the most specific range that matches it. */
function qualityOf(offer: string, ranges: readonly MediaRange[]): number {
  const [type, subtype] = offer.split('/') as [string, string];
  let best = -1;
  let bestSpecificity = -1;
  for (const range of ranges) {
    // Our offers carry no parameters, so a range with parameters matches neither of them.
    if (range.hasParams) continue;
    let specificity: number;
    if (range.type === type && range.subtype === subtype) specificity = 2;
    else if (range.type === type && range.subtype === '*') specificity = 1;
    else if (range.type === '*') specificity = 0;
    else continue;
    if (specificity > bestSpecificity) {
      bestSpecificity = specificity;
      best = range.q;
    }
  }
  return best;
}

/**
 * webob picks the better of `text/html` and `application/json` (HTML wins ties); with neither
 * acceptable, and with no Accept header at all, the page is plain text. An unparsable header
 * accepts everything, so it gets HTML.
 */
export function negotiateErrorFormat(accept: string | undefined): ErrorFormat {
  if (accept === undefined) return 'plain';
  const ranges = parseAccept(accept);
  if (ranges === undefined) return 'html';
  let chosen: ErrorFormat = 'plain';
  let chosenQ = 0;
  for (const offer of OFFERS) {
    const q = qualityOf(offer, ranges);
    if (q > chosenQ) {
      chosenQ = q;
      chosen = offer === 'text/html' ? 'html' : 'json';
    }
  }
  return chosen;
}

/** Python's `html.escape(s, quote=True)` followed by webob's ASCII xmlcharrefreplace. */
export function htmlEscape(text: string): string {
  let out = '';
  for (const char of text) {
    switch (char) {
      case '&':
        out += '&amp;';
        break;
      case '<':
        out += '&lt;';
        break;
      case '>':
        out += '&gt;';
        break;
      case '"':
        out += '&quot;';
        break;
      case "'":
        out += '&#x27;';
        break;
      default: {
        const code = char.codePointAt(0)!;
        out += code > 0x7f ? `&#${code};` : char;
      }
    }
  }
  return out;
}

/** Python's `json.dumps` with its default `ensure_ascii=True` and `", "`/`": "` separators. */
export function pythonJsonString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** webob's `strip_tags`, applied to the plain-text page. */
function stripTags(value: string): string {
  return value
    .replace(/\n/g, ' ')
    .replace(/\r/g, '')
    .replace(/<br.*?>/gis, '\n')
    .replace(/<.*?>/gs, '');
}

export interface RenderedError {
  contentType: string;
  body: string;
}

/**
 * Renders a webob error page. `explanation` is Glance's message text. 405 uses webob's own
 * template for HTTPMethodNotAllowed, whose body has one newline fewer and no escaping step.
 */
export function renderWebobError(status: number, explanation: string, format: ErrorFormat): RenderedError {
  const statusLine = `${status} ${statusTitle(status)}`;
  const suffix = status === 405 ? '<br /><br />\n' : '<br /><br />\n\n\n';
  const raw = explanation + suffix;
  switch (format) {
    case 'json':
      return {
        contentType: 'application/json',
        body: `{"message": ${pythonJsonString(raw)}, "code": ${pythonJsonString(statusLine)}, "title": ${pythonJsonString(statusTitle(status))}}`,
      };
    case 'html': {
      const escaped = (status === 405 ? explanation : htmlEscape(explanation)) + suffix;
      return {
        contentType: 'text/html; charset=UTF-8',
        body: `<html>\n <head>\n  <title>${statusLine}</title>\n </head>\n <body>\n  <h1>${statusLine}</h1>\n  ${escaped}\n </body>\n</html>`,
      };
    }
    case 'plain':
      return { contentType: 'text/plain; charset=UTF-8', body: `${statusLine}\n\n${stripTags(raw)}` };
  }
}
