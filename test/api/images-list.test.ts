/**
 * `GET /v2/images`: who sees what (spec 6.2, checked against Glance 25.1 for owner, member in each
 * status, stranger and admin), filters, sorting, keyset pagination with `next`, and the 400s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Image, MemberStatus } from '../../src/base/domain.ts';
import { buildApp, type TestApp, engine } from '../helpers/build-app.ts';
import { ADMIN, MEMBER, OWNER, as, makeImage, messageOf } from '../helpers/fixtures.ts';

const STRANGER = as('p-stranger');

async function addMemberRow(t: TestApp, image: Image, memberId: string, status: MemberStatus, deleted = false): Promise<void> {
  const at = t.clock.now().toISOString();
  await t.db('image_members').insert({ image_id: image.id, member_id: memberId, status, created_at: at, updated_at: at, deleted, seq: 1 });
}

interface Listing {
  images: Array<{ id: string; name: string | null }>;
  first: string;
  next?: string;
  schema: string;
}

for (const mode of ['new-defaults', 'legacy'] as const) {
  describe(`GET /v2/images: the listing matrix of spec 6.2 (${mode} mode)`, () => {
    let t: TestApp;
    before(async () => {
      t = await buildApp({ auth: { mode: 'trusted-headers' }, policy: { mode } });
      const image = (name: string, fields: Partial<Image> = {}) => makeImage(t, { name, ...fields });
      await image('PUB', { visibility: 'public', owner: 'p-pub' });
      await addMemberRow(t, await image('S_PEND'), 'p-member', 'pending');
      await addMemberRow(t, await image('S_ACC'), 'p-member', 'accepted');
      await addMemberRow(t, await image('S_REJ'), 'p-member', 'rejected');
      await image('S_NONE');
      await addMemberRow(t, await image('S_DEL'), 'p-member', 'accepted', true);
      // A member row that went dormant when the image turned private (spec 6.1).
      await addMemberRow(t, await image('PRIV', { visibility: 'private' }), 'p-member', 'accepted');
      await image('COMM', { visibility: 'community' });
      await image('OCOMM', { visibility: 'community', owner: 'p-other' });
      await image('OPRIV', { visibility: 'private', owner: 'p-other' });
      await addMemberRow(t, await image('HID', { osHidden: true }), 'p-member', 'accepted');
    });
    after(() => t.close());

    const names = async (who: Record<string, string>, query: string): Promise<string[]> => {
      const res = await t.request.get(`/v2/images${query}`).set(who);
      assert.equal(res.status, 200, `${query}: ${res.text}`);
      return (res.body as Listing).images.map((i) => i.name ?? '').sort();
    };
    const expectNames = async (who: Record<string, string>, query: string, expected: string[]): Promise<void> => {
      assert.deepEqual(await names(who, query), [...expected].sort(), query);
    };

    it('a member sees public images plus shared ones whose row has the asked status (default accepted)', async () => {
      await expectNames(MEMBER, '', ['PUB', 'S_ACC']);
      await expectNames(MEMBER, '?member_status=accepted', ['PUB', 'S_ACC']);
      await expectNames(MEMBER, '?member_status=pending', ['PUB', 'S_PEND']);
      await expectNames(MEMBER, '?member_status=rejected', ['PUB', 'S_REJ']);
      await expectNames(MEMBER, '?member_status=all', ['PUB', 'S_PEND', 'S_ACC', 'S_REJ']);
    });

    it('a member with a visibility filter', async () => {
      await expectNames(MEMBER, '?visibility=shared', ['S_ACC']);
      await expectNames(MEMBER, '?visibility=shared&member_status=pending', ['S_PEND']);
      await expectNames(MEMBER, '?visibility=shared&member_status=rejected', ['S_REJ']);
      await expectNames(MEMBER, '?visibility=shared&member_status=all', ['S_PEND', 'S_ACC', 'S_REJ']);
      await expectNames(MEMBER, '?visibility=public', ['PUB']);
      await expectNames(MEMBER, '?visibility=private', []);
      await expectNames(MEMBER, '?visibility=community', ['COMM', 'OCOMM']);
      await expectNames(MEMBER, '?visibility=all', ['PUB', 'S_ACC', 'COMM', 'OCOMM']);
      await expectNames(MEMBER, '?visibility=all&member_status=all', ['PUB', 'S_PEND', 'S_ACC', 'S_REJ', 'COMM', 'OCOMM']);
      await expectNames(MEMBER, '?owner=p-owner&member_status=all', ['S_PEND', 'S_ACC', 'S_REJ']);
    });

    it('hidden images appear only with os_hidden=true, and then alone', async () => {
      await expectNames(MEMBER, '?os_hidden=true', ['HID']);
      await expectNames(MEMBER, '?os_hidden=True&visibility=shared', ['HID']);
      await expectNames(MEMBER, '?os_hidden=false', ['PUB', 'S_ACC']);
      await expectNames(OWNER, '?os_hidden=true', ['HID']);
    });

    it('the owner sees all its images whatever the member rows; member_status has no effect on them', async () => {
      const own = ['S_PEND', 'S_ACC', 'S_REJ', 'S_NONE', 'S_DEL', 'PRIV', 'COMM'];
      await expectNames(OWNER, '', ['PUB', ...own]);
      await expectNames(OWNER, '?member_status=pending', ['PUB', ...own]);
      await expectNames(OWNER, '?member_status=all', ['PUB', ...own]);
      await expectNames(OWNER, '?visibility=shared', ['S_PEND', 'S_ACC', 'S_REJ', 'S_NONE', 'S_DEL']);
      await expectNames(OWNER, '?visibility=shared&member_status=rejected', ['S_PEND', 'S_ACC', 'S_REJ', 'S_NONE', 'S_DEL']);
      await expectNames(OWNER, '?visibility=private', ['PRIV']);
      await expectNames(OWNER, '?visibility=community', ['COMM', 'OCOMM']);
      await expectNames(OWNER, '?visibility=all', ['PUB', ...own, 'OCOMM']);
    });

    it('a stranger sees public images, and community ones only when asking for them', async () => {
      for (const status of ['', '?member_status=pending', '?member_status=all']) await expectNames(STRANGER, status, ['PUB']);
      await expectNames(STRANGER, '?visibility=shared&member_status=all', []);
      await expectNames(STRANGER, '?visibility=private', []);
      await expectNames(STRANGER, '?visibility=community', ['COMM', 'OCOMM']);
      await expectNames(STRANGER, '?visibility=all', ['PUB', 'COMM', 'OCOMM']);
    });

    it("an admin sees everything, except other projects' community images unless asked; member_status is ignored", async () => {
      const all = ['PUB', 'S_PEND', 'S_ACC', 'S_REJ', 'S_NONE', 'S_DEL', 'PRIV', 'OPRIV'];
      await expectNames(ADMIN, '', all);
      await expectNames(ADMIN, '?member_status=pending', all);
      await expectNames(ADMIN, '?visibility=shared', ['S_PEND', 'S_ACC', 'S_REJ', 'S_NONE', 'S_DEL']);
      await expectNames(ADMIN, '?visibility=private', ['PRIV', 'OPRIV']);
      await expectNames(ADMIN, '?visibility=community', ['COMM', 'OCOMM']);
      await expectNames(ADMIN, '?visibility=all', [...all, 'COMM', 'OCOMM']);
    });

    it('GET of one image follows the same visibility: any member status counts, dormant and deleted rows do not', async () => {
      const listing = (await t.request.get('/v2/images?visibility=all&member_status=all').set(ADMIN)).body as Listing;
      const byName = new Map(listing.images.map((i) => [i.name, i.id]));
      const hid = (await t.request.get('/v2/images?os_hidden=true').set(ADMIN)).body as Listing;
      byName.set('HID', hid.images[0]!.id);
      for (const [name, status] of [
        ['S_PEND', 200],
        ['S_ACC', 200],
        ['S_REJ', 200],
        ['HID', 200],
        ['PUB', 200],
        ['COMM', 200],
        ['OCOMM', 200],
        ['S_DEL', 404],
        ['PRIV', 404],
        ['S_NONE', 404],
        ['OPRIV', 404],
      ] as const) {
        const id = byName.get(name)!;
        const res = await t.request.get(`/v2/images/${id}`).set(MEMBER);
        assert.equal(res.status, status, name);
        if (status === 404) assert.equal(messageOf(res.body), `No image found with ID ${id}`);
        else assert.equal(res.body.id, id);
      }
    });
  });
}

describe('GET /v2/images: pagination, sorting, filters and errors', () => {
  let t: TestApp;
  const images: Image[] = [];
  before(async () => {
    t = await buildApp({ auth: { mode: 'trusted-headers' } });
    const sizes = [30, null, 10, 20, 10, null, 40];
    const names = ['delta', null, 'alpha', 'charlie', 'alpha', 'bravo', 'echo'];
    for (let i = 0; i < 7; i++) {
      t.clock.advance(1);
      images.push(
        await makeImage(t, {
          owner: 'p-pager',
          name: names[i]!,
          size: sizes[i]!,
          status: i % 2 === 0 ? 'active' : 'queued',
          properties: i < 3 ? { image_type: 'snapshot' } : {},
          tags: i === 0 ? ['a', 'b'] : i === 1 ? ['a'] : [],
          protected: i === 6,
        }),
      );
    }
  });
  after(() => t.close());

  const PAGER = as('p-pager');
  const list = (query: string, who = PAGER) => t.request.get(`/v2/images${query}`).set(who);
  const ids = (res: { body: unknown }): string[] => (res.body as Listing).images.map((i) => i.id);

  /** Follows `next` links from `query` to the end; returns the ids in order and the pages' sizes. */
  async function walk(query: string): Promise<{ order: string[]; pages: number[] }> {
    const order: string[] = [];
    const pages: number[] = [];
    let path: string | undefined = `/v2/images${query}`;
    while (path !== undefined) {
      const res: { status: number; body: unknown } = await t.request.get(path).set(PAGER);
      assert.equal(res.status, 200, path);
      const body = res.body as Listing;
      order.push(...body.images.map((i) => i.id));
      pages.push(body.images.length);
      path = body.next;
      assert.ok(pages.length < 20, 'pagination does not end');
    }
    return { order, pages };
  }

  it('defaults to created_at desc, with first, schema and no next when the page is not full', async () => {
    const res = await list('');
    assert.equal(res.status, 200);
    assert.deepEqual(ids(res), images.map((i) => i.id).reverse());
    assert.deepEqual(Object.keys(res.body), ['images', 'first', 'schema']);
    assert.equal(res.body.first, '/v2/images');
    assert.equal(res.body.schema, '/v2/schemas/images');
  });

  it('pages with limit and next (absolute path, other parameters kept, marker last) until a short page', async () => {
    const first = await list('?limit=3&owner=p-pager');
    assert.deepEqual(
      ids(first),
      images
        .slice(4)
        .map((i) => i.id)
        .reverse(),
    );
    assert.equal(first.body.first, '/v2/images?limit=3&owner=p-pager');
    assert.equal(first.body.next, `/v2/images?limit=3&owner=p-pager&marker=${images[4]!.id}`);
    const second = await t.request.get(first.body.next as string).set(PAGER);
    assert.equal(second.body.first, '/v2/images?limit=3&owner=p-pager');
    const walked = await walk('?limit=3');
    assert.deepEqual(walked.order, images.map((i) => i.id).reverse());
    assert.deepEqual(walked.pages, [3, 3, 1]);
    // An exactly full last page still has a next link, which leads to an empty page without one.
    const exact = await walk('?limit=7');
    assert.deepEqual(exact.pages, [7, 0]);
  });

  it('sorts by each key in both directions, ties broken by created_at then id, consistently across pages', async () => {
    const value = (image: Image, key: string): string | number => {
      switch (key) {
        case 'name':
          return image.name ?? '';
        case 'size':
          return image.size ?? -1;
        case 'status':
          return image.status;
        case 'id':
          return image.id;
        case 'created_at':
          return image.createdAt;
        default:
          return image.updatedAt;
      }
    };
    for (const key of ['name', 'size', 'status', 'id', 'created_at', 'updated_at']) {
      for (const dir of ['asc', 'desc'] as const) {
        const sign = dir === 'asc' ? 1 : -1;
        const cmp = (a: string | number, b: string | number): number => (a < b ? -sign : a > b ? sign : 0);
        const expected = [...images]
          .sort((a, b) => cmp(value(a, key), value(b, key)) || cmp(a.createdAt, b.createdAt) || cmp(a.id, b.id))
          .map((i) => i.id);
        const walked = await walk(`?sort_key=${key}&sort_dir=${dir}&limit=2`);
        assert.deepEqual(walked.order, expected, `${key} ${dir}`);
      }
    }
  });

  it('takes several sort keys (classic and sort= syntax) with one or per-key directions', async () => {
    const expected = [...images]
      .sort(
        (a, b) => (a.name ?? '').localeCompare(b.name ?? '') || (b.size ?? -1) - (a.size ?? -1) || b.createdAt.localeCompare(a.createdAt),
      )
      .map((i) => i.id);
    assert.deepEqual((await walk('?sort_key=name&sort_dir=asc&sort_key=size&sort_dir=desc&limit=3')).order, expected);
    assert.deepEqual((await walk('?sort=name:asc,size:desc&limit=3')).order, expected);
    const nameDesc = await list('?sort=name');
    assert.deepEqual(
      nameDesc.body.images.map((i: { name: string | null }) => i.name),
      ['echo', 'delta', 'charlie', 'bravo', 'alpha', 'alpha', null],
    );
  });

  it("glanceclient's limit=200&sort_key=name&sort_dir=asc", async () => {
    const res = await list('?limit=200&sort_key=name&sort_dir=asc');
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.images.map((i: { name: string | null }) => i.name),
      [null, 'alpha', 'alpha', 'bravo', 'charlie', 'delta', 'echo'],
    );
    assert.equal(res.body.first, '/v2/images?limit=200&sort_key=name&sort_dir=asc');
    assert.equal(res.body.next, undefined);
  });

  it('limit=0 gives an empty page; limits above 1000 are clamped', async () => {
    const zero = await list('?limit=0');
    assert.deepEqual(zero.body, { images: [], first: '/v2/images?limit=0', schema: '/v2/schemas/images' });
    const big = await list('?limit=5000');
    assert.equal(big.body.images.length, 7);
  });

  it('filters: name (eq and in:), status, owner, tags, properties, size range, created_at, protected, id', async () => {
    const names = async (query: string) => (await list(query)).body.images.map((i: { name: string | null }) => i.name ?? '(none)').sort();
    assert.deepEqual(await names('?name=alpha'), ['alpha', 'alpha']);
    assert.deepEqual(await names('?name=in:alpha,echo'), ['alpha', 'alpha', 'echo']);
    assert.deepEqual(await names('?name=in:"alpha",bravo'), ['alpha', 'alpha', 'bravo']);
    assert.deepEqual(await names('?status=queued'), ['(none)', 'bravo', 'charlie']);
    assert.deepEqual(await names('?owner=p-pager&tag=a'), ['(none)', 'delta']);
    assert.deepEqual(await names('?tag=a&tag=b'), ['delta']);
    assert.deepEqual(await names('?image_type=snapshot'), ['(none)', 'alpha', 'delta']);
    assert.deepEqual(await names('?size_min=20&size_max=30'), ['charlie', 'delta']);
    assert.deepEqual(await names('?size=10'), ['alpha', 'alpha']);
    assert.deepEqual(await names(`?created_at=gt:${images[4]!.createdAt}`), ['bravo', 'echo']);
    assert.deepEqual(await names(`?created_at=lte:${images[0]!.createdAt.replace('.000Z', 'Z')}`), ['delta']);
    assert.deepEqual(await names('?protected=true'), ['echo']);
    assert.deepEqual(await names(`?id=${images[2]!.id}`), ['alpha']);
    assert.deepEqual(await names('?unknown_property=x'), []);
  });

  it('repeated parameters take their last value (never a 500)', async () => {
    assert.equal((await list('?limit=1&limit=2')).body.images.length, 2);
    const twice = await list('?visibility=shared&visibility=public&member_status=x&member_status=all');
    assert.equal(twice.status, 200);
    assert.deepEqual(twice.body.images, []);
    assert.equal(twice.body.first, '/v2/images?visibility=public&member_status=all');
    const markers = await list(`?marker=nope&marker=${images[6]!.id}&limit=2`);
    assert.deepEqual(ids(markers), [images[5]!.id, images[4]!.id]);
  });

  it('a marker must be an image the caller can see', async () => {
    let res = await list('?marker=00000000-0000-0000-0000-000000000000');
    assert.equal(res.status, 400);
    assert.equal(messageOf(res.body), 'No image found with ID 00000000-0000-0000-0000-000000000000');
    res = await list(`?marker=${'x'.repeat(100)}`);
    assert.equal(res.status, 400);
    const hidden = await makeImage(t, { owner: 'p-else', visibility: 'private' });
    res = await list(`?marker=${hidden.id}`);
    assert.equal(res.status, 403);
    assert.equal(messageOf(res.body), `Forbidding request, image ${hidden.id} not visible`);
  });

  it("answers malformed parameters with Glance's 400 texts", async () => {
    const cases: Array<[string, string]> = [
      ['limit=x', 'limit param must be an integer'],
      ['limit=1.5', 'limit param must be an integer'],
      ['limit=', 'limit param must be an integer'],
      ['limit=-1', 'limit param must be positive'],
      ['member_status=x', 'Invalid status: x'],
      ['member_status=', 'Invalid status: '],
      ['visibility=x', 'Invalid visibility value: x'],
      ['os_hidden=maybe', "Invalid value 'maybe' for 'os_hidden' filter. Valid values are 'true' or 'false'."],
      ['protected=x', "Invalid value 'x' for 'protected' filter. Valid values are 'true' or 'false'."],
      [
        'sort_key=bogus',
        'Invalid sort key: bogus. It must be one of the following: name, status, container_format, disk_format, size, id, created_at, updated_at.',
      ],
      ['sort_dir=up', 'Invalid sort direction: up'],
      ['sort=name:bogus', 'Invalid sort direction: bogus'],
      ['sort=name&sort_key=name', 'Old and new sorting syntax cannot be combined'],
      ['sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc&sort_dir=asc', 'Number of sort dirs does not match the number of sort keys'],
      ['changes-since=2020-01-01', 'The "changes-since" filter is no longer available on v2.'],
      ['size_min=x', 'Unable to filter on a range with a non-numeric value.'],
      ['created_at=x', 'Bad "created_at" query filter format. Use ISO 8601 DateTime notation.'],
      ['created_at=zz:2020-01-01T00:00:00Z', 'Unable to filter on a unknown operator.'],
      ['status=gt:active', "Unable to filter by unknown operator 'gt'."],
      ['name=in:a"b', 'Invalid filter value a"b. There is no comma before opening quotation mark.'],
    ];
    for (const [query, text] of cases) {
      const res = await list(`?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(messageOf(res.body), text, query);
    }
  });

  it('needs the reader role in new-defaults mode', async () => {
    const res = await list('', as('p-pager', 'member'));
    assert.equal(res.status, 403);
    assert.equal(messageOf(res.body), 'You are not authorized to complete get_images action.');
  });

  it('the list query pages by keyset on an index, not by OFFSET', async () => {
    const { buildListQuery } = await import('../../src/images/store/image-list-query.ts');
    const compiled = buildListQuery(t.db, t.db('images as i').select('i.id'), {
      scope: { kind: 'project', projectId: 'p-pager', memberStatus: 'accepted' },
      communityOnlyIfOwnedBy: 'p-pager',
      filters: [],
      sort: [
        { key: 'created_at', dir: 'desc' },
        { key: 'id', dir: 'desc' },
      ],
      marker: images[3]!,
      limit: 25,
    }).toSQL();
    // The only OFFSET allowed is PostgreSQL's `offset 0` fence inside the membership EXISTS (see
    // image-list-query.ts), which keeps it a per-row key probe; pages never skip rows by OFFSET.
    assert.doesNotMatch(compiled.sql.replace(/ offset 0\)/g, ')'), /offset/i);
    if (engine === 'pg') assert.match(compiled.sql, /exists \(select 1 from "image_members" as "m" where [^)]* offset 0\)/);
    assert.match(compiled.sql, /exists \(select 1 from [`"]image_members[`"] as [`"]m[`"] where m\.image_id = i\.id/);
    // The plan check is SQLite's (its planner is deterministic on tiny tables); PostgreSQL picks
    // sequential scans for a handful of rows, so its plans are measured by the benchmarks instead.
    if (engine === 'pg') return;
    const plan = (await t.db.raw(`explain query plan ${compiled.sql}`, compiled.bindings as never)) as Array<{ detail: string }>;
    const details = plan.map((row) => row.detail).join('\n');
    // The page is read in index order (no sort of all visible images) and each membership test is a key lookup.
    assert.match(details, /SEARCH i USING INDEX images_created_at_id_idx \(created_at<\?\)/);
    assert.doesNotMatch(details, /TEMP B-TREE|MULTI-INDEX/);
    assert.match(details, /SEARCH m USING INDEX \S+ \(image_id=\? AND member_id=\?\)/);
  });
});
