/**
 * Who may do what (spec 4.1), cell by cell, in both policy modes, with the 403 texts of each mode
 * (spec 4.3) and the reader-role rule of new-defaults (spec 14.6).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Image, Visibility } from '../../src/base/domain.ts';
import { buildApp, type TestApp } from '../helpers/build-app.ts';
import { ADMIN, MEMBER, OTHER, OWNER, as, makeImage, messageOf } from '../helpers/fixtures.ts';

type Answer = [status: number, text?: string];

async function shareWith(t: TestApp, image: Image, member = 'p-member'): Promise<void> {
  await t.request.post(`/v2/images/${image.id}/members`).set(ADMIN).send({ member }).expect(200);
}

async function expectAnswer(res: { status: number; body: unknown }, [status, text]: Answer, what: string): Promise<void> {
  assert.equal(res.status, status, what);
  if (text !== undefined) assert.equal(messageOf(res.body), text, what);
}

for (const mode of ['legacy', 'new-defaults'] as const) {
  describe(`member permissions, ${mode} mode`, () => {
    let t: TestApp;
    before(async () => {
      t = await buildApp({ auth: { mode: 'trusted-headers' }, policy: { mode } });
    });
    after(() => t.close());

    const texts = (id: string) =>
      mode === 'legacy'
        ? {
            create: `Not allowed to create members for image ${id}.`,
            update: `Not allowed to update members for image ${id}.`,
            delete: `Not allowed to delete members for image ${id}.`,
          }
        : {
            create: 'You are not authorized to complete add_member action.',
            update: 'You are not authorized to complete modify_member action.',
            delete: 'You are not authorized to complete delete_member action.',
          };

    it('owner on a shared image: add, list all, show any, PUT refused, delete', async () => {
      const image = await makeImage(t);
      await shareWith(t, image, 'p-member2');
      const url = `/v2/images/${image.id}/members`;
      await expectAnswer(await t.request.post(url).set(OWNER).send({ member: 'p-member' }), [200], 'POST');
      const list = await t.request.get(url).set(OWNER);
      assert.deepEqual(list.body.members.map((m: { member_id: string }) => m.member_id).sort(), ['p-member', 'p-member2']);
      await expectAnswer(await t.request.get(`${url}/p-member2`).set(OWNER), [200], 'GET one');
      await expectAnswer(
        await t.request.put(`${url}/p-member`).set(OWNER).send({ status: 'accepted' }),
        [403, texts(image.id).update],
        'PUT',
      );
      await expectAnswer(await t.request.delete(`${url}/p-member`).set(OWNER), [204], 'DELETE');
    });

    it('member on a shared image: add refused, own row only, other rows 404, own PUT, delete refused', async () => {
      const image = await makeImage(t);
      await shareWith(t, image, 'p-member');
      await shareWith(t, image, 'p-member2');
      const url = `/v2/images/${image.id}/members`;
      await expectAnswer(await t.request.post(url).set(MEMBER).send({ member: 'p-x' }), [403, texts(image.id).create], 'POST');
      const list = await t.request.get(url).set(MEMBER);
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.members.map((m: { member_id: string }) => m.member_id),
        ['p-member'],
      );
      await expectAnswer(await t.request.get(`${url}/p-member`).set(MEMBER), [200], 'GET own');
      await expectAnswer(
        await t.request.get(`${url}/p-member2`).set(MEMBER),
        [404, `p-member2 not found in the member list of the image ${image.id}.`],
        'GET other',
      );
      await expectAnswer(await t.request.put(`${url}/p-member`).set(MEMBER).send({ status: 'accepted' }), [200], 'PUT own');
      await expectAnswer(
        await t.request.put(`${url}/p-member2`).set(MEMBER).send({ status: 'accepted' }),
        [404, `p-member2 not found in the member list of the image ${image.id}.`],
        'PUT other',
      );
      await expectAnswer(await t.request.delete(`${url}/p-member`).set(MEMBER), [403, texts(image.id).delete], 'DELETE own');
      // Spec 3.6: deleting another member's row is 403 in legacy mode, 404 in new-defaults.
      const other = await t.request.delete(`${url}/p-member2`).set(MEMBER);
      if (mode === 'legacy') await expectAnswer(other, [403, texts(image.id).delete], 'DELETE other');
      else await expectAnswer(other, [404, `p-member2 not found in the member list of the image ${image.id}.`], 'DELETE other');
    });

    it('a pending or rejected member may still read the image members', async () => {
      const image = await makeImage(t);
      await shareWith(t, image);
      const url = `/v2/images/${image.id}/members/p-member`;
      await t.request.put(url).set(MEMBER).send({ status: 'rejected' }).expect(200);
      await expectAnswer(await t.request.get(url).set(MEMBER), [200], 'GET own while rejected');
    });

    for (const visibility of ['private', 'shared'] as Visibility[]) {
      it(`other project on a ${visibility} image: 404 everywhere`, async () => {
        const image = await makeImage(t, { visibility });
        const url = `/v2/images/${image.id}/members`;
        const notFound: Answer = [404, `Image ${image.id} not found.`];
        await expectAnswer(await t.request.post(url).set(OTHER).send({ member: 'p-other' }), notFound, 'POST');
        await expectAnswer(await t.request.get(url).set(OTHER), notFound, 'GET');
        await expectAnswer(await t.request.get(`${url}/p-other`).set(OTHER), notFound, 'GET one');
        await expectAnswer(await t.request.put(`${url}/p-other`).set(OTHER).send({ status: 'accepted' }), notFound, 'PUT');
        await expectAnswer(await t.request.delete(`${url}/p-other`).set(OTHER), notFound, 'DELETE');
      });
    }

    it('admin on a shared image: everything', async () => {
      const image = await makeImage(t);
      const url = `/v2/images/${image.id}/members`;
      await expectAnswer(await t.request.post(url).set(ADMIN).send({ member: 'p-member' }), [200], 'POST');
      await expectAnswer(await t.request.get(url).set(ADMIN), [200], 'GET');
      await expectAnswer(await t.request.get(`${url}/p-member`).set(ADMIN), [200], 'GET one');
      await expectAnswer(await t.request.put(`${url}/p-member`).set(ADMIN).send({ status: 'accepted' }), [200], 'PUT');
      await expectAnswer(
        await t.request.get(`${url}/nobody`).set(ADMIN),
        [404, `nobody not found in the member list of the image ${image.id}.`],
        'GET missing',
      );
      await expectAnswer(await t.request.delete(`${url}/p-member`).set(ADMIN), [204], 'DELETE');
    });

    for (const visibility of ['private', 'public', 'community'] as Visibility[]) {
      it(`owner and admin on a ${visibility} image: members refused`, async () => {
        const image = await makeImage(t, { visibility });
        const url = `/v2/images/${image.id}/members`;
        for (const caller of [OWNER, ADMIN]) {
          await expectAnswer(
            await t.request.post(url).set(caller).send({ member: 'p-member' }),
            [403, `Not allowed to create members for image ${image.id}.`],
            'POST',
          );
          await expectAnswer(
            await t.request.get(url).set(caller),
            [403, `Not allowed to list members for image ${image.id}: Only shared images have members.`],
            'GET',
          );
          await expectAnswer(await t.request.get(`${url}/p-member`).set(caller), [404, 'Only shared images have members.'], 'GET one');
          await expectAnswer(
            await t.request.put(`${url}/p-member`).set(caller).send({ status: 'accepted' }),
            [403, `Not allowed to update members for image ${image.id}.`],
            'PUT',
          );
          await expectAnswer(
            await t.request.delete(`${url}/p-member`).set(caller),
            [403, `Not allowed to delete members for image ${image.id}.`],
            'DELETE',
          );
        }
      });
    }

    for (const visibility of ['public', 'community'] as Visibility[]) {
      it(`other project on a ${visibility} image: 403 / 404 as for the owner`, async () => {
        const image = await makeImage(t, { visibility });
        const url = `/v2/images/${image.id}/members`;
        await expectAnswer(
          await t.request.post(url).set(OTHER).send({ member: 'p-other' }),
          [403, `Not allowed to create members for image ${image.id}.`],
          'POST',
        );
        await expectAnswer(
          await t.request.get(url).set(OTHER),
          [403, `Not allowed to list members for image ${image.id}: Only shared images have members.`],
          'GET',
        );
        await expectAnswer(await t.request.get(`${url}/p-other`).set(OTHER), [404, 'Only shared images have members.'], 'GET one');
        await expectAnswer(
          await t.request.put(`${url}/p-other`).set(OTHER).send({ status: 'accepted' }),
          [403, `Not allowed to update members for image ${image.id}.`],
          'PUT',
        );
        await expectAnswer(
          await t.request.delete(`${url}/p-other`).set(OTHER),
          [403, `Not allowed to delete members for image ${image.id}.`],
          'DELETE',
        );
      });
    }

    it('an ex-member after shared → private: 404 everywhere; rows come back with their status', async () => {
      const image = await makeImage(t);
      await shareWith(t, image);
      const url = `/v2/images/${image.id}/members`;
      await t.request.put(`${url}/p-member`).set(MEMBER).send({ status: 'rejected' }).expect(200);
      await t.db('images').where({ id: image.id }).update({ visibility: 'private' });
      await expectAnswer(await t.request.get(url).set(MEMBER), [404, `Image ${image.id} not found.`], 'GET while private');
      await expectAnswer(
        await t.request.put(`${url}/p-member`).set(MEMBER).send({ status: 'accepted' }),
        [404, `Image ${image.id} not found.`],
        'PUT while private',
      );
      await t.db('images').where({ id: image.id }).update({ visibility: 'shared' });
      const back = await t.request.get(`${url}/p-member`).set(MEMBER);
      assert.equal(back.status, 200);
      assert.equal(back.body.status, 'rejected');
    });

    it('a deleted image: 404 for everyone, admin included', async () => {
      const image = await makeImage(t);
      await shareWith(t, image);
      await t.db('images').where({ id: image.id }).delete();
      for (const caller of [OWNER, MEMBER, ADMIN]) {
        await expectAnswer(await t.request.get(`/v2/images/${image.id}/members`).set(caller), [404, `Image ${image.id} not found.`], 'GET');
      }
      const rows = await t.db('image_members').where({ image_id: image.id });
      assert.equal(rows.length, 0, 'member rows go with the image');
    });

    it('the owner may add its own project and read, but not change, that row', async () => {
      const image = await makeImage(t);
      const url = `/v2/images/${image.id}/members`;
      await expectAnswer(await t.request.post(url).set(OWNER).send({ member: 'p-owner' }), [200], 'POST self');
      await expectAnswer(await t.request.get(`${url}/p-owner`).set(OWNER), [200], 'GET self');
      await expectAnswer(
        await t.request.put(`${url}/p-owner`).set(OWNER).send({ status: 'accepted' }),
        [403, texts(image.id).update],
        'PUT self',
      );
    });

    if (mode === 'new-defaults') {
      it('tokens without the reader role get the generic 404 on every member call', async () => {
        const image = await makeImage(t);
        await shareWith(t, image);
        const url = `/v2/images/${image.id}/members`;
        const ownerNoReader = as('p-owner', 'member');
        const memberNoReader = as('p-member', 'member');
        const generic: Answer = [404, 'The resource could not be found.'];
        await expectAnswer(await t.request.post(url).set(ownerNoReader).send({ member: 'p-x' }), generic, 'owner POST');
        await expectAnswer(await t.request.delete(`${url}/p-member`).set(ownerNoReader), generic, 'owner DELETE');
        await expectAnswer(await t.request.get(url).set(memberNoReader), generic, 'member GET');
        await expectAnswer(await t.request.put(`${url}/p-member`).set(memberNoReader).send({ status: 'accepted' }), generic, 'member PUT');
      });

      it('reader-only owner: add/delete refused; reader-only member: PUT refused', async () => {
        const image = await makeImage(t);
        await shareWith(t, image);
        const url = `/v2/images/${image.id}/members`;
        await expectAnswer(
          await t.request.post(url).set(as('p-owner', 'reader')).send({ member: 'p-x' }),
          [403, texts(image.id).create],
          'POST',
        );
        await expectAnswer(await t.request.delete(`${url}/p-member`).set(as('p-owner', 'reader')), [403, texts(image.id).delete], 'DELETE');
        await expectAnswer(
          await t.request.put(`${url}/p-member`).set(as('p-member', 'reader')).send({ status: 'accepted' }),
          [403, texts(image.id).update],
          'PUT',
        );
        await expectAnswer(await t.request.get(url).set(as('p-member', 'reader')), [200], 'GET');
      });
    }
  });
}
