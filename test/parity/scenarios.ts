/**
 * The request sequences the parity suite sends to Glance and glance-share alike. Scenarios are the
 * same in both policy modes: where the modes differ, both servers must differ the same way. Spec
 * references are to /work/shared/spec/glance-members.md (sections 4.1, 6.2, 7, 13, 14).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MEMBER_QUOTA } from './peers.ts';
import { ADMIN, MEMBER, MEMBER2, OTHER, OWNER, persona, type Parity, type ParityRequest, type Persona } from './harness.ts';

export interface Scenario {
  name: string;
  run(p: Parity): Promise<void>;
}

type Extra = Omit<ParityRequest, 'as' | 'method' | 'path' | 'json'>;

const STRANGER = persona('stranger', 'p-stranger');
const NO_SUCH_IMAGE = '8e3bd1b6-2c55-4d3e-9a3f-0c1f8f0b6a11';
const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';

/** Small request helpers in the style of the API tests. */
function helpers(p: Parity) {
  const get = (as: Persona | null, path: string, extra: Extra = {}) => p.compare({ as, method: 'GET', path, ...extra });
  const post = (as: Persona | null, path: string, json?: unknown, extra: Extra = {}) =>
    p.compare({ as, method: 'POST', path, ...(json === undefined ? {} : { json }), ...extra });
  const put = (as: Persona | null, path: string, json?: unknown, extra: Extra = {}) =>
    p.compare({ as, method: 'PUT', path, ...(json === undefined ? {} : { json }), ...extra });
  const del = (as: Persona | null, path: string, extra: Extra = {}) => p.compare({ as, method: 'DELETE', path, ...extra });
  const members = (image: string) => `/v2/images/${image}/members`;
  const member = (image: string, id: string) => `/v2/images/${image}/members/${id}`;
  const addMember = (as: Persona, image: string, id: string) => post(as, members(image), { member: id });
  const setStatus = (as: Persona, image: string, status: string) => put(as, member(image, as.project), { status });
  const setVisibility = (as: Persona, image: string, visibility: string) =>
    p.compare({
      as,
      method: 'PATCH',
      path: `/v2/images/${image}`,
      headers: { 'Content-Type': PATCH_TYPE },
      json: [{ op: 'replace', path: '/visibility', value: visibility }],
    });
  return { get, post, put, del, members, member, addMember, setStatus, setVisibility };
}

/**
 * Section 6.2: every caller × filter combination of GET /v2/images. Runs first, while few images
 * exist: Glance pages at 25 images, sorted by created_at then id, and images created in the same
 * second are ordered by their (random, per-side) ids, so a full page could hold different images on
 * each side. Later scenarios list with a `name=` filter or as non-admins who see few images.
 */
const listMatrix: Scenario = {
  name: 'image list filter matrix (6.2)',
  async run(p) {
    const h = helpers(p);
    const pending = await p.createImage(OWNER, { name: 'list-a-pending' });
    const accepted = await p.createImage(OWNER, { name: 'list-b-accepted' });
    const rejected = await p.createImage(OWNER, { name: 'list-c-rejected' });
    await p.createImage(OWNER, { name: 'list-d-private', visibility: 'private' });
    await p.createImage(OWNER, { name: 'list-e-community', visibility: 'community' });
    await p.createImage(ADMIN, { name: 'list-f-public', visibility: 'public' });
    const otherShared = await p.createImage(OTHER, { name: 'list-g-other-shared' });
    await p.createImage(OTHER, { name: 'list-h-other-community', visibility: 'community' });
    await p.createImage(OTHER, { name: 'list-i-other-private', visibility: 'private' });
    const ownerPublic = await p.createImage(OWNER, { name: 'list-j-owner-public' });
    await h.setVisibility(ADMIN, ownerPublic, 'public');

    for (const image of [pending, accepted, rejected]) await h.addMember(OWNER, image, 'p-member');
    await h.addMember(OTHER, otherShared, 'p-member');
    await h.setStatus(MEMBER, accepted, 'accepted');
    await h.setStatus(MEMBER, rejected, 'rejected');
    await h.setStatus(MEMBER, otherShared, 'accepted');
    // member2: pending on one, accepted on another, rejected on a third.
    await h.addMember(OWNER, pending, 'p-member2');
    await h.addMember(OWNER, accepted, 'p-member2');
    await h.addMember(OTHER, otherShared, 'p-member2');
    await h.setStatus(MEMBER2, accepted, 'accepted');
    await h.setStatus(MEMBER2, otherShared, 'rejected');

    const queries = [
      '',
      ...['public', 'private', 'shared', 'community', 'all'].map((v) => `visibility=${v}`),
      ...['pending', 'accepted', 'rejected', 'all'].map((s) => `member_status=${s}`),
      ...['pending', 'accepted', 'rejected', 'all'].map((s) => `visibility=shared&member_status=${s}`),
      'visibility=all&member_status=all',
      'visibility=community&member_status=all',
      'owner=p-owner',
      'owner=p-other',
      'owner=p-other&member_status=all',
      'owner=p-owner&visibility=shared&member_status=pending',
      'visibility=bad',
      'member_status=bad',
    ];
    for (const caller of [OWNER, MEMBER, MEMBER2, OTHER, STRANGER, ADMIN]) {
      for (const query of queries) await h.get(caller, `/v2/images${query === '' ? '' : `?${query}`}`);
    }
    // A member reads the image in any status (spec 5); a stranger gets the image API's 404.
    for (const image of [pending, accepted, rejected]) {
      await h.get(MEMBER, `/v2/images/${image}`);
      await h.get(STRANGER, `/v2/images/${image}`);
    }
  },
};

/** Section 13, items 1–11 and 13–16 (12 is in the quota scenario). */
const conformance: Scenario = {
  name: 'conformance checklist (13)',
  async run(p) {
    const h = helpers(p);
    const image = await p.createImage(OWNER, { name: 'conformance' });
    await h.addMember(OWNER, image, 'p-member'); // 1
    await h.addMember(OWNER, image, 'p-member'); // 2: 409
    await h.get(MEMBER, `/v2/images/${image}`); // 3
    await h.get(MEMBER, '/v2/images?member_status=pending');
    await h.setStatus(MEMBER, image, 'accepted'); // 4
    await h.get(MEMBER, '/v2/images');
    await h.setStatus(MEMBER, image, 'pending');
    await h.put(OWNER, h.member(image, 'p-member'), { status: 'accepted' }); // 5: 403
    await h.put(MEMBER, h.member(image, 'p-member'), { status: 'bogus' }); // 6: 400
    await h.addMember(OWNER, image, 'p-member2');
    await h.get(MEMBER, h.members(image)); // 7
    await h.get(OWNER, h.members(image));
    await h.get(OTHER, h.members(image)); // 8
    await h.get(OTHER, h.member(image, 'p-member'));
    await h.addMember(OTHER, image, 'p-other');
    await h.put(OTHER, h.member(image, 'p-member'), { status: 'accepted' });
    await h.del(OTHER, h.member(image, 'p-member'));
    await h.del(MEMBER, h.member(image, 'p-member')); // 9
    await h.del(OWNER, h.member(image, 'p-member'));
    await h.del(OWNER, h.member(image, 'p-member'));
    // Spec 4.1 notes: the owner may add its own project, read that row, but not change it (legacy).
    await h.addMember(OWNER, image, 'p-owner');
    await h.get(OWNER, h.member(image, 'p-owner'));
    await h.setStatus(OWNER, image, 'accepted');
    await h.get(OWNER, '/v2/images?visibility=shared&member_status=pending');
    await h.del(OWNER, h.member(image, 'p-owner'));
    const privateImage = await p.createImage(OWNER, { name: 'conformance-private', visibility: 'private' }); // 10
    await h.addMember(OWNER, privateImage, 'p-member');
    await h.get(OWNER, h.members(privateImage));
    await h.get(OWNER, h.member(privateImage, 'p-x'));
    await h.post(OWNER, h.members(image)); // 11
    await h.post(OWNER, h.members(image), {});
    await h.post(OWNER, h.members(image), { member: '' });
    await h.post(OWNER, h.members(image), []);
    await h.post(OWNER, h.members(image), undefined, { body: '{bad' });
    for (const accept of [null, 'application/json', '*/*']) {
      // 13
      await h.get(OWNER, h.members(NO_SUCH_IMAGE), { accept });
    }
    await p.compare({ as: OWNER, method: 'PATCH', path: h.members(image) }); // 14
    await p.compare({ as: OWNER, method: 'PATCH', path: h.member(image, 'p-member2') });
    await h.get(OWNER, '/v2/schemas/member'); // 15
    await h.get(OWNER, '/v2/schemas/members');
    await h.get(null, '/', { accept: null }); // 16
    await h.get(null, '/versions', { accept: null });
  },
};

/** Section 4.1: every persona × visibility × member call. */
const permissionMatrix: Scenario = {
  name: 'who-may-do-what matrix (4.1)',
  async run(p) {
    const h = helpers(p);
    for (const visibility of ['shared', 'private', 'public', 'community']) {
      const image = await p.createImage(OWNER, { name: `matrix-${visibility}` });
      await h.addMember(OWNER, image, 'p-member');
      await h.addMember(OWNER, image, 'p-member2');
      await h.setStatus(MEMBER, image, 'accepted');
      if (visibility !== 'shared') await h.setVisibility(visibility === 'public' ? ADMIN : OWNER, image, visibility);
      for (const caller of [OTHER, MEMBER2, MEMBER, OWNER, ADMIN]) {
        const newMember = `p-new-${caller.name}`;
        await h.get(caller, `/v2/images/${image}`);
        await h.addMember(caller, image, newMember);
        await h.get(caller, h.members(image));
        await h.get(caller, h.member(image, 'p-member'));
        await h.get(caller, h.member(image, 'p-member2'));
        await h.get(caller, h.member(image, 'p-nobody'));
        await h.put(caller, h.member(image, 'p-member'), { status: 'accepted' });
        await h.put(caller, h.member(image, 'p-member2'), { status: 'rejected' });
        await h.put(caller, h.member(image, caller.project), { status: 'pending' });
        await h.put(caller, h.member(image, 'p-nobody'), { status: 'accepted' });
        await h.del(caller, h.member(image, newMember));
        await h.del(caller, h.member(image, 'p-nobody'));
        if (caller !== OWNER && caller !== ADMIN) await h.del(caller, h.member(image, 'p-member2'));
        await h.del(caller, h.member(image, caller.project));
      }
      await h.get(OWNER, h.members(image));
    }
  },
};

/** Section 14.6 (and 4.1's note on reader-only owners): tokens with one role only, in both modes. */
const roleTokens: Scenario = {
  name: 'reader-only and member-only tokens (14.6)',
  async run(p) {
    const h = helpers(p);
    const image = await p.createImage(OWNER, { name: 'roles' });
    await h.addMember(OWNER, image, 'p-member');
    const tokens = [
      persona('owner-reader', 'p-owner', 'reader'),
      persona('owner-member', 'p-owner', 'member'),
      persona('member-reader', 'p-member', 'reader'),
      persona('member-member', 'p-member', 'member'),
      persona('member-mixed-case', 'p-member', 'Member,Reader'),
      persona('admin-only', 'p-admin', 'admin'),
      persona('admin-spaces', 'p-admin', 'reader, admin'),
      persona('admin-upper', 'p-admin', 'ADMIN'),
      persona('no-roles', 'p-owner', ''),
    ];
    for (const token of tokens) {
      const extra = `p-extra-${token.name}`;
      await h.get(token, `/v2/images/${image}`);
      await h.get(token, h.members(image));
      await h.get(token, h.member(image, 'p-member'));
      await h.addMember(token, image, extra);
      await h.get(token, h.member(image, extra));
      await h.put(token, h.member(image, 'p-member'), { status: 'accepted' });
      await h.put(token, h.member(image, 'p-member'), { status: 'bogus' });
      await h.del(token, h.member(image, extra));
      await h.get(token, '/v2/images?member_status=all&name=roles');
      await h.get(token, '/v2/schemas/member');
    }
    await h.get(OWNER, h.members(image));
  },
};

/** Section 3.2 (re-add) and 11: the old row comes back pending, with its first created_at. */
const reAdd: Scenario = {
  name: 're-adding removed members',
  async run(p) {
    const h = helpers(p);
    const image = await p.createImage(OWNER, { name: 're-add' });
    const first = await h.addMember(OWNER, image, 'p-member');
    await h.addMember(OWNER, image, 'p-member2');
    await sleep(1100); // so that "kept" and "changed" timestamps are told apart
    const accepted = await h.setStatus(MEMBER, image, 'accepted');
    await sleep(1100);
    const again = await h.setStatus(MEMBER, image, 'accepted');
    await h.del(OWNER, h.member(image, 'p-member'));
    await h.get(OWNER, h.members(image));
    await h.get(MEMBER, h.member(image, 'p-member'));
    await h.get(MEMBER, `/v2/images/${image}`);
    const readded = await h.addMember(OWNER, image, 'p-member');
    const shown = await h.get(OWNER, h.member(image, 'p-member'));
    await h.get(OWNER, h.members(image));
    await h.get(MEMBER, '/v2/images?member_status=pending');

    // Facts about timestamps, computed on each side and compared (ids and times were normalised away).
    const stamp = (outcome: { glance: { raw: { body: string } }; share: { raw: { body: string } } }, side: 'glance' | 'share') =>
      JSON.parse(outcome[side].raw.body) as { created_at: string; updated_at: string; status: string };
    for (const side of ['glance', 'share'] as const) {
      const facts = {
        'accept changes updated_at': stamp(accepted, side).updated_at !== stamp(first, side).updated_at,
        'unchanged status keeps updated_at': stamp(again, side).updated_at === stamp(accepted, side).updated_at,
        're-add keeps created_at': stamp(readded, side).created_at === stamp(first, side).created_at,
        're-add sets updated_at': stamp(readded, side).updated_at !== stamp(first, side).updated_at,
        'show agrees with re-add': stamp(shown, side).created_at === stamp(first, side).created_at,
      };
      p.recordFacts(`timestamps on ${side}`, side, facts);
    }
  },
};

/** Section 6.1: visibility changes keep member rows and their statuses. */
const visibilityRoundTrips: Scenario = {
  name: 'visibility round trips',
  async run(p) {
    const h = helpers(p);
    const image = await p.createImage(OWNER, { name: 'round-trip' });
    await h.addMember(OWNER, image, 'p-member');
    await h.addMember(OWNER, image, 'p-member2');
    await h.addMember(OWNER, image, 'p-member3');
    await h.setStatus(MEMBER, image, 'accepted');
    await h.setStatus(MEMBER2, image, 'rejected');
    for (const [by, visibility] of [
      [OWNER, 'private'],
      [OWNER, 'community'],
      [ADMIN, 'public'],
    ] as const) {
      await h.setVisibility(by, image, visibility);
      await h.get(OWNER, h.members(image));
      await h.get(ADMIN, h.members(image));
      await h.get(MEMBER, h.members(image));
      await h.get(MEMBER, `/v2/images/${image}`);
      await h.get(MEMBER, '/v2/images?member_status=all');
      await h.get(MEMBER2, '/v2/images?visibility=shared&member_status=rejected');
      await h.addMember(OWNER, image, 'p-member4');
      await h.setVisibility(OWNER, image, 'shared');
      await h.get(OWNER, h.members(image));
      await h.get(MEMBER, h.member(image, 'p-member'));
      await h.get(MEMBER2, h.member(image, 'p-member2'));
      await h.get(MEMBER, '/v2/images?visibility=shared');
      await h.get(MEMBER2, '/v2/images?visibility=shared&member_status=rejected');
    }
    // Non-admins may not publicise (spec 14.8).
    await h.setVisibility(OWNER, image, 'public');
    await h.post(OWNER, '/v2/images', { name: 'never', visibility: 'public', disk_format: 'raw', container_format: 'bare' });
  },
};

/** Sections 6.1 and 4.1's last row: deleting an image takes its members with it. */
const imageDeletion: Scenario = {
  name: 'image deletion',
  async run(p) {
    const h = helpers(p);
    const image = await p.createImage(OWNER, { name: 'doomed' });
    await h.addMember(OWNER, image, 'p-member');
    await h.addMember(OWNER, image, 'p-member2');
    await h.setStatus(MEMBER, image, 'accepted');
    await h.del(MEMBER, `/v2/images/${image}`);
    await h.del(OWNER, `/v2/images/${image}`);
    for (const caller of [OWNER, MEMBER, ADMIN]) {
      await h.get(caller, `/v2/images/${image}`);
      await h.get(caller, h.members(image));
      await h.get(caller, h.member(image, 'p-member'));
      await h.addMember(caller, image, 'p-member3');
      await h.put(caller, h.member(image, 'p-member'), { status: 'rejected' });
      await h.del(caller, h.member(image, 'p-member2'));
      await h.get(caller, '/v2/images?member_status=all&name=doomed');
    }
    await h.del(OWNER, `/v2/images/${image}`);
    await h.del(ADMIN, `/v2/images/${image}`);
    // Glance keeps the id of a deleted image forever; glance-share deletes for real (known difference).
    // The image this makes exists on glance-share only; no later request lists images named "phoenix".
    await h.post(OWNER, '/v2/images', { id: image, name: 'phoenix', disk_format: 'raw', container_format: 'bare' });
  },
};

/** Section 3.2 steps 9–10, section 13 item 12: the quota (5 here), checked before duplicates, for admins too. */
const memberLimit: Scenario = {
  name: 'member limit 413 and 413-before-409',
  async run(p) {
    const h = helpers(p);
    const image = await p.createImage(OWNER, { name: 'quota' });
    for (let n = 1; n <= MEMBER_QUOTA; n += 1) await h.addMember(OWNER, image, `p-q${n}`);
    await h.addMember(OWNER, image, 'p-q6');
    await h.addMember(OWNER, image, 'p-q1'); // 413, not 409
    await h.addMember(ADMIN, image, 'p-q6');
    for (const accept of [null, 'application/json', '*/*']) await h.post(OWNER, h.members(image), { member: 'p-q7' }, { accept });
    await h.get(OWNER, h.members(image));
    await h.del(OWNER, h.member(image, 'p-q3'));
    await h.addMember(OWNER, image, 'p-q1'); // 409 now
    await h.addMember(OWNER, image, 'p-q3'); // re-add fills the freed place
    await h.addMember(OWNER, image, 'p-q9');
    await h.setStatus(persona('q2', 'p-q2'), image, 'accepted');
    await h.get(OWNER, h.members(image));
  },
};

/** Section 2.2, 3.2, 3.5 and catalogue rows 4–14: request bodies. */
const bodyErrors: Scenario = {
  name: 'request body errors',
  async run(p) {
    const h = helpers(p);
    const image = await p.createImage(OWNER, { name: 'bodies' });
    await h.addMember(OWNER, image, 'p-member');
    for (const target of [image, NO_SUCH_IMAGE]) {
      const url = h.members(target);
      await h.post(OWNER, url);
      await h.post(OWNER, url, undefined, { body: '' });
      await h.post(OWNER, url, undefined, { body: '{bad' });
      await h.post(OWNER, url, undefined, { body: '{"member": "p-x",}' });
      for (const scalar of ['"p-x"', '5', 'null', 'true']) await h.post(OWNER, url, undefined, { body: scalar });
      await h.post(OWNER, url, []);
      await h.post(OWNER, url, ['p-x']);
      await h.post(OWNER, url, {});
      await h.post(OWNER, url, { member_id: 'p-x' });
      for (const falsy of ['', null, 0, false, [], {}]) await h.post(OWNER, url, { member: falsy });
      await h.put(MEMBER, h.member(target, 'p-member'));
      await h.put(MEMBER, h.member(target, 'p-member'), undefined, { body: '{bad' });
      await h.put(MEMBER, h.member(target, 'p-member'), undefined, { body: '"accepted"' });
      await h.put(MEMBER, h.member(target, 'p-member'), []);
      await h.put(MEMBER, h.member(target, 'p-member'), ['accepted']);
      await h.put(MEMBER, h.member(target, 'p-member'), {});
      await h.put(MEMBER, h.member(target, 'p-member'), { state: 'accepted' });
      for (const bad of ['bogus', 'ACCEPTED', 'Accepted', '', null, 1, ['accepted'], { a: 1 }]) {
        await h.put(MEMBER, h.member(target, 'p-member'), { status: bad });
      }
      // A body where none is expected.
      await h.get(OWNER, url, { body: '{}' });
      await h.get(OWNER, h.member(target, 'p-member'), { body: 'x' });
      await h.del(OWNER, h.member(target, 'p-member'), { body: '{}' });
    }
    // Spec 14.4: an unrelated project's PUT is checked for its body first, then gets the image 404.
    await h.put(OTHER, h.member(image, 'p-member'));
    await h.put(OTHER, h.member(image, 'p-member'), []);
    await h.put(OTHER, h.member(image, 'p-member'), {});
    await h.put(OTHER, h.member(image, 'p-member'), { status: 'bogus' });
    // A JSON array as an image: Glance 500, ours 400 (known difference).
    await h.post(OWNER, '/v2/images', []);
    await h.post(OWNER, '/v2/images', [{ name: 'x' }]);
    await h.get(OWNER, '/v2/schemas/member', { body: '{}' });
    await h.get(OWNER, '/v2/schemas/members', { body: '{}' });
    // Extra keys are ignored: the owner cannot pre-accept; the Content-Type is not checked.
    await h.post(OWNER, h.members(image), { member: 'p-extra', status: 'accepted', created_at: 'x' });
    await h.post(OWNER, h.members(image), undefined, { body: '{"member": "p-plain"}', headers: { 'Content-Type': 'text/plain' } });
    await h.put(MEMBER, h.member(image, 'p-member'), { status: 'accepted', member_id: 'p-evil', image_id: NO_SUCH_IMAGE });
    await h.put(MEMBER, h.member(image, 'p-member'), undefined, {
      body: '{"status": "rejected"}',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    await h.post(OWNER, h.members(image), undefined, { body: '{"member": "p-chunked"}', chunked: true });
    // Truthy non-strings (known difference: Glance stores numbers/booleans and fails arrays/objects with a 500).
    const nonStrings = await p.createImage(OWNER, { name: 'non-string-members' });
    for (const value of [5, 1.5, -3, true, ['x'], { a: 1 }]) await h.post(OWNER, h.members(nonStrings), { member: value });
    await h.get(OWNER, h.members(nonStrings));
    await h.get(OWNER, h.member(nonStrings, '5'));
    await h.get(OWNER, h.member(nonStrings, '1'));
    // Member ids up to 255 characters are fine; Glance stores longer ones, we refuse them (known difference).
    const long = await p.createImage(OWNER, { name: 'long-members' });
    await h.post(OWNER, h.members(long), { member: 'x'.repeat(255) });
    await h.post(OWNER, h.members(long), { member: 'x'.repeat(256) });
    await h.post(OWNER, h.members(long), { member: 'é'.repeat(255) });
    await h.get(OWNER, h.members(long));
    await h.get(OWNER, h.member(long, 'x'.repeat(255)));
    await h.get(OWNER, h.member(long, 'x'.repeat(256)));
    // Odd but valid strings: spaces, non-ASCII, case, a slash (addressable never again).
    const odd = await p.createImage(OWNER, { name: 'odd-members' });
    for (const value of [' ', 'projé', 'P-MEMBER', 'a/b']) await h.post(OWNER, h.members(odd), { member: value });
    await h.get(OWNER, h.members(odd));
    await h.get(OWNER, h.member(odd, '%20'));
    await h.get(OWNER, h.member(odd, 'P-MEMBER'));
    await h.get(OWNER, h.member(odd, 'p-member'));
    await h.get(OWNER, h.member(odd, 'a%2Fb'));
    await h.get(OWNER, h.member(odd, 'a/b'));
    await h.get(OWNER, h.member(odd, 'proj%C3%A9'));
    await h.del(OWNER, h.member(odd, 'a%2Fb'));
    await h.del(OWNER, h.member(odd, '%20'));
    await h.get(OWNER, h.members(odd));
    await h.del(OWNER, h.member(odd, 'proj%C3%A9')); // last: only ours can remove it
  },
};

/** Catalogue rows 2–3, section 1's path quirks and 14.9: 405s with Allow, trailing slashes, suffixes. */
const routing: Scenario = {
  name: '405s and path 404s',
  async run(p) {
    const h = helpers(p);
    const image = await p.createImage(OWNER, { name: 'routing' });
    await h.addMember(OWNER, image, 'p-member');
    for (const accept of [null, 'application/json', '*/*']) {
      for (const method of ['PATCH', 'PUT', 'DELETE']) await p.compare({ as: OWNER, method, path: h.members(image), accept });
      for (const method of ['PATCH', 'POST']) await p.compare({ as: OWNER, method, path: h.member(image, 'p-member'), accept });
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) await p.compare({ as: OWNER, method, path: '/v2/schemas/member', accept });
      await p.compare({ as: OWNER, method: 'POST', path: '/v2/schemas/members', accept });
    }
    for (const accept of [null, 'application/json']) {
      await p.compare({ as: OWNER, method: 'HEAD', path: h.members(image), accept });
      await p.compare({ as: OWNER, method: 'HEAD', path: h.member(image, 'p-member'), accept });
      await p.compare({ as: OWNER, method: 'HEAD', path: '/v2/schemas/members', accept });
    }
    await p.compare({ as: OWNER, method: 'PATCH', path: h.members(NO_SUCH_IMAGE) });
    await p.compare({ as: null, method: 'PATCH', path: h.members(image) });
    for (const path of [
      `${h.members(image)}/`,
      `${h.members(image)}.json`,
      `${h.member(image, 'p-member')}/`,
      `${h.member(image, 'p-member')}/extra`,
      `${h.member(image, 'p-member')}.json`,
      '/v2/schemas/member/',
      '/v2/schemas/members.json',
      '/v2/images/',
      '/v2/',
      '/v2/nothing-here',
    ]) {
      await h.get(OWNER, path);
      await h.get(OWNER, path, { accept: null });
    }
    await h.post(OWNER, `${h.members(image)}/`, { member: 'p-slash' });
    await h.put(MEMBER, `${h.member(image, 'p-member')}/`, { status: 'accepted' });
    await h.del(OWNER, `${h.member(image, 'p-member')}/`);
    await h.get(null, `${h.members(image)}/`);
    // Image ids are not format-checked: any string is looked up (catalogue row 15).
    for (const id of ['not-a-uuid', NO_SUCH_IMAGE.toUpperCase(), 'a'.repeat(36), 'a'.repeat(40)]) {
      await h.get(OWNER, h.members(id));
      await h.get(OWNER, h.member(id, 'p-member'));
      await h.post(OWNER, h.members(id), { member: 'p-x' });
    }
  },
};

/** Section 9 and 14.1: version documents and version-prefix aliases. */
const versions: Scenario = {
  name: 'version documents and aliases',
  async run(p) {
    const h = helpers(p);
    for (const accept of [null, 'application/json', 'text/html']) {
      await h.get(null, '/', { accept });
      await h.get(null, '/versions', { accept });
    }
    await h.get(OWNER, '/');
    await h.get(OWNER, '/versions');
    for (const prefix of ['v1', 'v3', 'v2.14', 'v2.16', 'v2.17', 'v2.99', 'v20']) {
      await h.get(null, `/${prefix}/images`);
      await h.get(OWNER, `/${prefix}/schemas/member`);
    }
    for (const accept of [null, 'application/json', '*/*']) {
      await h.get(OWNER, '/v2', { accept });
      await h.get(OWNER, '/v2.1', { accept });
    }
    await h.get(null, '/v2');
    await h.get(null, '/v2/', { accept: null });
    const image = await p.createImage(OWNER, { name: 'aliases' });
    for (const prefix of ['v2.0', 'v2.1', 'v2.5', 'v2.9', 'v2.10', 'v2.13', 'v2.15']) {
      await h.get(OWNER, `/${prefix}/schemas/members`);
    }
    for (const prefix of ['v2.1', 'v2.15']) {
      await h.post(OWNER, `/${prefix}/images/${image}/members`, { member: `p-via-${prefix}` });
      await h.get(OWNER, `/${prefix}/images/${image}/members`);
      await h.get(OWNER, `/${prefix}/images/${image}/members/p-via-${prefix}`);
      await h.put(persona('via', `p-via-${prefix}`), `/${prefix}/images/${image}/members/p-via-${prefix}`, { status: 'accepted' });
      await h.del(OWNER, `/${prefix}/images/${image}/members/p-via-${prefix}`);
      await h.get(null, `/${prefix}/images/${image}/members`);
    }
  },
};

/** Section 3.7 and 8: schema documents; /v2/schemas/image(s) differ by `stores` (known difference). */
const schemas: Scenario = {
  name: 'schemas',
  async run(p) {
    const h = helpers(p);
    for (const path of ['/v2/schemas/member', '/v2/schemas/members']) {
      for (const accept of [null, 'application/json', 'text/html', '*/*']) await h.get(OWNER, path, { accept });
      await h.get(null, path);
      await h.get(ADMIN, path);
      const exact = await h.get(OTHER, path);
      p.recordFacts(`${path} bytes`, 'both', { 'identical bytes': exact.glance.raw.body === exact.share.raw.body });
    }
    for (const path of ['/v2/schemas/image', '/v2/schemas/images']) {
      const outcome = await h.get(OWNER, path);
      // Only `stores` and `direct_url` may be missing from ours (README row "image schema without stores").
      const strip = (text: string) => {
        const schema = JSON.parse(text) as { properties?: Record<string, unknown> };
        const properties =
          (schema.properties?.['images'] as { items?: { properties?: Record<string, unknown> } } | undefined)?.items?.properties ??
          schema.properties;
        if (properties !== undefined) {
          delete properties['stores'];
          delete properties['direct_url'];
        }
        return schema;
      };
      p.recordFacts(`${path} apart from stores`, 'both', {
        'same apart from stores/direct_url': JSON.stringify(strip(outcome.glance.text)) === JSON.stringify(strip(outcome.share.text)),
      });
    }
  },
};

/** Section 2.5 and 14.7: webob's negotiation of error pages, on several kinds of error. */
const acceptNegotiation: Scenario = {
  name: 'Accept negotiation of error pages',
  async run(p) {
    const h = helpers(p);
    const image = await p.createImage(OWNER, { name: 'accept' });
    await h.addMember(OWNER, image, 'p-member');
    await h.addMember(OWNER, image, '<b>&"\'é');
    const accepts: Array<string | null> = [
      null,
      '',
      'application/json',
      '*/*',
      'text/html',
      'application/*',
      'text/*',
      'text/plain',
      'application/json;q=0',
      'application/json, text/plain',
      'text/html;q=0.5, application/json',
      'application/json;q=0.5, text/html;q=0.4',
      'text/html, application/json',
      'garbage;;',
      'garbage',
      'application/xml',
      'image/png, */*;q=0.1',
      'Application/JSON',
      // Media-type parameters (before q) versus accept-extensions (after q): webob treats them differently.
      'application/json; charset=utf-8',
      'text/html;level=1',
      'application/json;q=0.9;foo=bar',
      'application/json;charset=utf-8, */*;q=0.1',
      'application/json;q=0.9, application/json;charset=utf-8',
    ];
    for (const accept of accepts) {
      await h.get(OWNER, h.members(NO_SUCH_IMAGE), { accept }); // 404 with an id in the text
      await h.get(OWNER, h.member(image, 'p-nobody'), { accept });
      await h.post(OWNER, h.members(image), { member: 'p-member' }, { accept }); // 409
      await h.put(OWNER, h.member(image, 'p-member'), { status: 'accepted' }, { accept }); // 403
      await h.post(OWNER, h.members(image), undefined, { body: '{bad', accept }); // 400
      await p.compare({ as: OWNER, method: 'PATCH', path: h.members(image), accept }); // 405
      await h.get(null, h.members(image), { accept }); // 401
      await h.get(OWNER, h.members(image), { accept }); // success: always JSON
      await h.get(OWNER, h.member(image, '%3Cb%3E%26%22%27x'), { accept }); // escaping in the 404 text
    }
  },
};

/** Section 2.4 and 14.2: request ids. */
const requestIds: Scenario = {
  name: 'request ids',
  async run(p) {
    const h = helpers(p);
    const image = await p.createImage(OWNER, { name: 'request-ids' });
    const ids = ['abc123', 'req-fixed-1', 'x'.repeat(64), `req-${'y'.repeat(60)}`, 'x'.repeat(65)];
    for (const id of ids) {
      const headers = { 'X-Openstack-Request-Id': id };
      await h.get(OWNER, h.members(image), { headers });
      await h.get(OWNER, h.members(NO_SUCH_IMAGE), { headers });
      await h.post(OWNER, h.members(image), { member: `p-rid-${id.length}` }, { headers });
      await h.get(OWNER, '/v2/schemas/member', { headers });
      await h.get(OWNER, '/versions', { headers });
      await h.get(null, h.members(image), { headers });
    }
    await h.get(OWNER, h.members(image), { headers: { 'X-Openstack-Request-Id': 'x'.repeat(65) }, accept: null });
    await h.get(OWNER, h.members(image), { headers: { 'X-Openstack-Request-Id': 'x'.repeat(65) }, accept: '*/*' });
  },
};

/** Catalogue row 1 (section 2.1): unauthenticated requests on every member route and the schemas. */
const authentication: Scenario = {
  name: 'authentication (401)',
  async run(p) {
    const h = helpers(p);
    const image = await p.createImage(OWNER, { name: 'auth' });
    await h.addMember(OWNER, image, 'p-member');
    for (const accept of [null, 'application/json', '*/*']) {
      await h.get(null, h.members(image), { accept });
      await h.post(null, h.members(image), { member: 'p-x' }, { accept });
      await h.get(null, h.member(image, 'p-member'), { accept });
      await h.put(null, h.member(image, 'p-member'), { status: 'accepted' }, { accept });
      await h.del(null, h.member(image, 'p-member'), { accept });
      await h.get(null, '/v2/schemas/member', { accept });
      await h.get(null, '/v2/images', { accept });
    }
    const invalid = { 'X-Identity-Status': 'Invalid', 'X-Project-Id': 'p-owner', 'X-Roles': 'admin' };
    await h.get(null, h.members(image), { headers: invalid });
    await h.post(null, h.members(image), undefined, { headers: invalid, body: '{bad' });
    await h.get(null, h.members(image), { headers: { 'X-Project-Id': 'p-owner', 'X-Roles': 'admin' } });
  },
};

export const SCENARIOS: readonly Scenario[] = [
  listMatrix,
  conformance,
  permissionMatrix,
  roleTokens,
  reAdd,
  visibilityRoundTrips,
  imageDeletion,
  memberLimit,
  bodyErrors,
  routing,
  versions,
  schemas,
  acceptNegotiation,
  requestIds,
  authentication,
];
