/**
 * The member routes write their JSON with a dedicated serializer (member-views.ts) for speed; it
 * must give exactly the bytes of the generic one (respond.ts pythonJson) over the view objects.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { membersViewJson, memberViewJson, toMembersView, toMemberView } from '../../src/members/http/member-views.ts';
import { pythonJson } from '../../src/http/respond.ts';
import type { Member } from '../../src/base/domain.ts';

const member = (memberId: string, imageId = '11111111-1111-4111-8111-000000000001'): Member => ({
  imageId,
  memberId,
  status: 'pending',
  createdAt: '2026-11-23T02:08:11.123Z',
  updatedAt: '2026-11-24T03:09:12.000Z',
});

const awkward = [
  'proj-b',
  'é 中文 😀',
  '\ud800 lone surrogate',
  '"quoted" \\ back/slash',
  '\u0001\u001f\u2028\u2029',
  '__proto__',
  '0',
  ' ',
  'a'.repeat(255),
];

describe('member views: the dedicated serializer matches pythonJson', () => {
  it('one member, whatever its id or image id', () => {
    for (const id of awkward) {
      assert.equal(memberViewJson(member(id)), pythonJson(toMemberView(member(id))), id);
      assert.equal(memberViewJson(member('p', id)), pythonJson(toMemberView(member('p', id))), id);
    }
    for (const status of ['pending', 'accepted', 'rejected'] as const) {
      const m = { ...member('p'), status };
      assert.equal(memberViewJson(m), pythonJson(toMemberView(m)));
    }
  });

  it('lists: empty, one, and many awkward members', () => {
    const lists = [[], [member('p')], awkward.map((id) => member(id)), Array.from({ length: 128 }, (_, i) => member(`member-${i}`))];
    for (const list of lists) assert.equal(membersViewJson(list), pythonJson(toMembersView(list)), `${list.length} members`);
  });
});
