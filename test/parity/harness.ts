/**
 * The parity comparator: sends one request to Glance and to glance-share, normalises both answers
 * (image ids, timestamps, request ids, base URLs, list order) and compares status, Content-Type,
 * Allow, Location, the presence/echo of X-Openstack-Request-Id, and the body. A difference is
 * either listed in known-differences.ts or recorded as unexpected, with a readable diff.
 */
import { isDeepStrictEqual } from 'node:util';
import type { PolicyMode } from '../../src/base/config.ts';
import { KNOWN_DIFFERENCES, type Aspect, type KnownDifference, type Side } from './known-differences.ts';
import { send, type WireResponse } from './wire.ts';

/** A caller: the identity headers keystonemiddleware would set (X-Project-Id, X-Roles). */
export interface Persona {
  name: string;
  project: string;
  roles: string;
}

export const persona = (name: string, project: string, roles = 'member,reader'): Persona => ({ name, project, roles });

export const OWNER = persona('owner', 'p-owner');
export const MEMBER = persona('member', 'p-member');
export const MEMBER2 = persona('member2', 'p-member2');
export const OTHER = persona('other', 'p-other');
export const ADMIN = persona('admin', 'p-admin', 'admin,member,reader');

export interface ParityRequest {
  /** Who sends it; `null` sends no identity headers (an unauthenticated request). */
  as: Persona | null;
  method: string;
  /** Path and query; `<image-N>` placeholders are replaced by each side's own image id. */
  path: string;
  /** `Accept` header: default `application/json`; `null` leaves the header out. */
  accept?: string | null;
  headers?: Record<string, string>;
  /** A JSON body (placeholders are replaced in the serialised text). */
  json?: unknown;
  /** A raw body, sent as is. */
  body?: string;
  chunked?: boolean;
}

export interface SideResult {
  raw: WireResponse;
  /** The body with ids, timestamps and base URLs replaced. */
  text: string;
  /** Parsed normalised JSON, when the body is JSON. */
  json: unknown;
}

export interface Outcome {
  request: ParityRequest;
  glance: SideResult;
  share: SideResult;
  differs: Aspect[];
  verdict: 'identical' | 'known' | 'unexpected';
  known: KnownDifference[];
}

export interface Totals {
  compared: number;
  identical: number;
  known: number;
  unexpected: number;
  byKnown: Map<string, number>;
}

const TIMESTAMP = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g;
const GENERATED_REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

class SideState {
  /** Real image id → placeholder, in creation order. */
  readonly ids = new Map<string, string>();
  /** Placeholder → real image id. */
  readonly placeholders = new Map<string, string>();
  constructor(
    readonly side: Side,
    readonly baseUrl: string,
  ) {}

  substitute(text: string): string {
    return text.replace(/<image-\d+>/g, (placeholder) => {
      const id = this.placeholders.get(placeholder);
      if (id === undefined) throw new Error(`unknown image placeholder ${placeholder}`);
      return id;
    });
  }

  normalise(text: string): string {
    let out = text.split(this.baseUrl).join('<base>');
    for (const [id, placeholder] of this.ids) out = out.split(id).join(placeholder);
    return out.replace(TIMESTAMP, '<time>');
  }
}

/** Lists whose order Glance does not define are sorted before comparison. */
function sortLists(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  const byKey = (key: string) => (a: unknown, b: unknown) => {
    const left = JSON.stringify((a as Record<string, unknown>)[key]);
    const right = JSON.stringify((b as Record<string, unknown>)[key]);
    return left < right ? -1 : left > right ? 1 : 0;
  };
  if (Array.isArray(record['members'])) return { ...record, members: [...record['members']].sort(byKey('member_id')) };
  if (Array.isArray(record['images'])) return { ...record, images: [...record['images']].sort(byKey('name')) };
  return value;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** What the request-id header says, in a form both sides can be compared by. */
function requestIdShape(value: string | undefined): string {
  if (value === undefined) return '(absent)';
  return GENERATED_REQUEST_ID.test(value) ? 'req-<uuid4>' : value;
}

function header(res: WireResponse, name: string, state: SideState): string {
  const value = res.headers[name];
  return value === undefined ? '(absent)' : state.normalise(value);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `      ${line}`)
    .join('\n');
}

export class Parity {
  readonly outcomes: Outcome[] = [];
  private readonly glance: SideState;
  private readonly share: SideState;
  private imageCount = 0;
  /** The scenario whose requests are being sent; tags every outcome and fact. */
  scenario = '';

  constructor(
    readonly mode: PolicyMode,
    glanceUrl: string,
    shareUrl: string,
  ) {
    this.glance = new SideState('glance', glanceUrl);
    this.share = new SideState('share', shareUrl);
  }

  /** Sends the request to both sides and compares; never throws on a difference (see `failures`). */
  async compare(request: ParityRequest): Promise<Outcome> {
    const [glance, share] = await Promise.all([this.sendTo(this.glance, request), this.sendTo(this.share, request)]);
    if (request.method === 'POST' && request.path === '/v2/images') this.register(glance, share);
    const g = this.view(this.glance, glance);
    const s = this.view(this.share, share);
    const differs = this.differences(g, s);
    const known = differs.length === 0 ? [] : this.knownFor(request, g, s, differs);
    const verdict = differs.length === 0 ? 'identical' : known.length > 0 ? 'known' : 'unexpected';
    const outcome: Outcome = { request, glance: g, share: s, differs, verdict, known };
    this.outcomes.push(outcome);
    this.scenarioOf.set(outcome, this.scenario);
    return outcome;
  }

  /** Creates an image on both sides (compared like any request) and returns its placeholder. */
  async createImage(as: Persona, fields: Record<string, unknown> = {}): Promise<string> {
    const outcome = await this.compare({
      as,
      method: 'POST',
      path: '/v2/images',
      json: { disk_format: 'raw', container_format: 'bare', ...fields },
    });
    const placeholder = this.glance.ids.get(String((parseJson(outcome.glance.raw.body) as { id?: unknown } | undefined)?.id));
    if (placeholder === undefined) {
      throw new Error(
        `image creation failed: Glance ${outcome.glance.raw.status} ${outcome.glance.raw.body}; glance-share ${outcome.share.raw.status} ${outcome.share.raw.body}`,
      );
    }
    return placeholder;
  }

  totals(): Totals {
    const byKnown = new Map<string, number>();
    for (const outcome of this.outcomes) {
      for (const entry of outcome.known) byKnown.set(entry.id, (byKnown.get(entry.id) ?? 0) + 1);
    }
    const count = (verdict: Outcome['verdict']) => this.outcomes.filter((o) => o.verdict === verdict).length;
    return {
      compared: this.outcomes.length,
      identical: count('identical'),
      known: count('known'),
      unexpected: count('unexpected'),
      byKnown,
    };
  }

  /**
   * Records per-side facts that normalisation hides (e.g. "re-add keeps created_at"); every fact
   * must hold. `side` says where they were computed ('both' for a fact comparing the two sides).
   */
  recordFacts(label: string, side: Side | 'both', facts: Record<string, boolean>): void {
    for (const [fact, holds] of Object.entries(facts)) {
      this.facts.push({ scenario: this.scenario, label, side, fact, holds });
    }
  }

  /** Readable report of one scenario's unexpected differences and failed facts; '' when clean. */
  failures(scenario: string): string {
    const diffs = this.outcomes
      .filter((o) => o.verdict === 'unexpected' && this.scenarioOf.get(o) === scenario)
      .map((o) => this.describe(o));
    const facts = this.facts
      .filter((f) => !f.holds && f.scenario === scenario)
      .map((f) => `[${this.mode}] ${scenario}: ${f.label} (${f.side}): "${f.fact}" does not hold`);
    return [...diffs, ...facts].join('\n\n');
  }

  /** Every outcome, for a JSON dump (PARITY_DUMP=file) when investigating. */
  dump(): unknown[] {
    return this.outcomes.map((o) => ({
      scenario: this.scenarioOf.get(o),
      verdict: o.verdict,
      differs: o.differs,
      known: o.known.map((k) => k.id),
      request: o.request,
      glance: { status: o.glance.raw.status, headers: o.glance.raw.headers, body: o.glance.text },
      share: { status: o.share.raw.status, headers: o.share.raw.headers, body: o.share.text },
    }));
  }

  factTotals(): { checked: number; failed: number } {
    return { checked: this.facts.length, failed: this.facts.filter((f) => !f.holds).length };
  }

  describe(outcome: Outcome): string {
    const r = outcome.request;
    const who = r.as === null ? 'no identity' : `${r.as.name} (${r.as.project}; roles ${r.as.roles})`;
    const accept = r.accept === undefined ? 'application/json' : r.accept === null ? '(none)' : JSON.stringify(r.accept);
    const body = r.json !== undefined ? JSON.stringify(r.json) : r.body !== undefined ? JSON.stringify(r.body) : '(none)';
    const side = (name: string, result: SideResult) =>
      [
        `    ${name}: ${result.raw.status}  Content-Type: ${result.raw.headers['content-type'] ?? '(absent)'}` +
          `  Allow: ${result.raw.headers['allow'] ?? '(absent)'}  X-Openstack-Request-Id: ${result.raw.headers['x-openstack-request-id'] ?? '(absent)'}` +
          (result.raw.headers['location'] === undefined ? '' : `  Location: ${result.raw.headers['location']}`),
        indent(result.text === '' ? '(empty body)' : result.text),
      ].join('\n');
    return [
      `[${this.mode}] ${this.scenarioOf.get(outcome) ?? ''}: ${r.method} ${r.path}  as ${who}  Accept ${accept}  body ${body}` +
        (r.headers === undefined ? '' : `  headers ${JSON.stringify(r.headers)}`),
      `    differs in: ${outcome.differs.join(', ')}`,
      side('Glance      ', outcome.glance),
      side('glance-share', outcome.share),
    ].join('\n');
  }

  private readonly scenarioOf = new WeakMap<Outcome, string>();
  private readonly facts: Array<{ scenario: string; label: string; side: Side | 'both'; fact: string; holds: boolean }> = [];

  private async sendTo(state: SideState, request: ParityRequest): Promise<WireResponse> {
    const headers: Record<string, string> = {};
    if (request.as !== null) {
      headers['X-Identity-Status'] = 'Confirmed';
      headers['X-Project-Id'] = request.as.project;
      headers['X-Roles'] = request.as.roles;
    }
    if (request.accept !== null) headers['Accept'] = request.accept ?? 'application/json';
    Object.assign(headers, request.headers);
    const body = request.json !== undefined ? state.substitute(JSON.stringify(request.json)) : request.body;
    return send(state.baseUrl, {
      method: request.method,
      path: state.substitute(request.path),
      headers,
      ...(body === undefined ? {} : { body }),
      ...(request.chunked ? { chunked: true } : {}),
    });
  }

  private register(glance: WireResponse, share: WireResponse): void {
    const g = glance.status === 201 ? (parseJson(glance.body) as { id?: unknown } | undefined)?.id : undefined;
    const s = share.status === 201 ? (parseJson(share.body) as { id?: unknown } | undefined)?.id : undefined;
    if (typeof g !== 'string' || typeof s !== 'string') return;
    this.imageCount += 1;
    const placeholder = `<image-${this.imageCount}>`;
    this.glance.ids.set(g, placeholder);
    this.glance.placeholders.set(placeholder, g);
    this.share.ids.set(s, placeholder);
    this.share.placeholders.set(placeholder, s);
  }

  private view(state: SideState, raw: WireResponse): SideResult {
    const text = state.normalise(raw.body);
    const parsed = (raw.headers['content-type'] ?? '').startsWith('application/json') ? parseJson(text) : undefined;
    return { raw, text, json: parsed === undefined ? undefined : sortLists(parsed) };
  }

  private differences(g: SideResult, s: SideResult): Aspect[] {
    const differs: Aspect[] = [];
    if (g.raw.status !== s.raw.status) differs.push('status');
    if ((g.raw.headers['content-type'] ?? '') !== (s.raw.headers['content-type'] ?? '')) differs.push('contentType');
    if (header(g.raw, 'allow', this.glance) !== header(s.raw, 'allow', this.share)) differs.push('allow');
    if (header(g.raw, 'location', this.glance) !== header(s.raw, 'location', this.share)) differs.push('location');
    if (requestIdShape(g.raw.headers['x-openstack-request-id']) !== requestIdShape(s.raw.headers['x-openstack-request-id'])) {
      differs.push('requestId');
    }
    // Success JSON is compared parsed (lists sorted); error pages and anything else as exact text.
    const bothJson = g.json !== undefined && s.json !== undefined;
    const sameBody = bothJson && g.raw.status < 400 && s.raw.status < 400 ? isDeepStrictEqual(g.json, s.json) : g.text === s.text;
    if (!sameBody) differs.push('body');
    return differs;
  }

  private knownFor(request: ParityRequest, g: SideResult, s: SideResult, differs: Aspect[]): KnownDifference[] {
    const matching = KNOWN_DIFFERENCES.filter((entry) => {
      if (entry.modes !== undefined && !entry.modes.includes(this.mode)) return false;
      if (typeof entry.method === 'string' ? entry.method !== request.method : !entry.method.test(request.method)) return false;
      if (!entry.path.test(request.path)) return false;
      return entry.when === undefined || entry.when({ request, glance: g, share: s, mode: this.mode });
    });
    const allowed = new Set(matching.flatMap((entry) => entry.differs));
    return differs.every((aspect) => allowed.has(aspect)) ? matching : [];
  }
}

export function summaryLine(mode: PolicyMode, totals: Totals): string {
  return `parity ${mode}: ${totals.compared} compared, ${totals.identical} identical, ${totals.known} known differences, ${totals.unexpected} unexpected`;
}
