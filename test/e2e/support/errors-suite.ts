/**
 * The error paths users hit while sharing, through the real `openstack` and `glance` clients, in
 * one policy mode: each client must exit 1 and print Glance's explanation readably (no traceback,
 * no HTML, no client crash). Fixtures are made over plain HTTP; only the failing commands go
 * through the clients. Texts: spec/glance-members.md section 3, client renderings: clients.md 5.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { PolicyMode } from '../../../src/base/config.ts';
import { imageApi, type ImageApi } from './api.ts';
import { GLANCE, OPENSTACK, unreadableParts, describeResult, passwordEnv, runCli, type CliResult } from './cli.ts';
import { useDeployment } from './deployment-hooks.ts';
import type { Account, IdentitySetup } from './identity.ts';

const MEMBER_LIMIT = 2;

/** What the owner sees when it tries to accept its own image (`image set --accept` / `member-update`). */
function ownerAcceptTexts(
  mode: PolicyMode,
  imageId: string,
  ownerProject: string,
): { osc: { prefix: string; message: string }; glance: string } {
  return mode === 'legacy'
    ? {
        // Legacy: the owner check comes before the row lookup (glance-members.md 3.5 step 4).
        osc: { prefix: 'HttpException: 403: Client Error for url: ', message: `Not allowed to update members for image ${imageId}.` },
        glance: `HTTP 403 Forbidden: Not allowed to update members for image ${imageId}.`,
      }
    : {
        // New defaults: OSC PUTs the caller's own project, which is no member row (step 5 before
        // the modify_member policy); glance names the real member and meets the policy (step 6).
        osc: {
          prefix: 'ResourceNotFound: 404: Client Error for url: ',
          message: `${ownerProject} not found in the member list of the image ${imageId}.`,
        },
        glance: 'HTTP 403 Forbidden: You are not authorized to complete modify_member action.',
      };
}

export interface ClientErrorsOptions {
  /**
   * Only the case whose text depends on the policy mode (the owner accepting). The other texts are
   * the same in both modes (glance-members.md 3.2: visibility, limit and duplicate checks come
   * first), so a second mode need not pay for them again.
   */
  policySpecificOnly?: boolean;
}

/** Registers the error-message suite for one policy mode (its own glance-share, member limit 2). */
export function describeClientErrors(
  setup: IdentitySetup,
  policyMode: PolicyMode,
  { policySpecificOnly = false }: ClientErrorsOptions = {},
): void {
  /** A case whose text is the same in both modes: registered only when all cases run. */
  const common = (name: string, fn: () => Promise<void>): void => {
    if (!policySpecificOnly) it(name, fn);
  };
  describe(`client error messages, policy ${policyMode}${policySpecificOnly ? ' (the policy-specific case)' : ''} (${setup.name})`, () => {
    const ctx = useDeployment(setup, { policyMode, memberLimit: MEMBER_LIMIT });
    let ownerApi: ImageApi;
    let sharedId = '';
    let privateId = '';

    const run = (file: string, home: string, account: Account, args: string[]): Promise<CliResult> =>
      runCli(file, args, { env: passwordEnv(ctx.dir(home), ctx.deployment.authUrl, account) });
    const osc = (account: Account, ...args: string[]) => run(OPENSTACK, 'osc-home', account, args);
    const glance = (account: Account, ...args: string[]) => run(GLANCE, 'glance-home', account, args);

    /** Exit 1, nothing on stdout, every `parts` on stderr, and nothing unreadable. */
    const assertError = (result: CliResult, ...parts: string[]): void => {
      const context = describeResult(result);
      assert.equal(result.code, 1, context);
      assert.equal(result.stdout.trim(), '', context);
      for (const part of parts) assert.ok(result.stderr.includes(part), `expected ${JSON.stringify(part)} in:\n${context}`);
      assert.deepEqual(unreadableParts(result.stderr), [], context);
    };
    const owner = (): Account => ctx.deployment.owner;
    const member = (): Account => ctx.deployment.member;
    const stranger = (): Account => ctx.deployment.stranger;

    it('fixtures: a shared image with one member, and a private image', async () => {
      ownerApi = await imageApi(ctx.deployment, owner());
      sharedId = (await ownerApi.createImage({ name: `e2e-err-shared-${randomBytes(3).toString('hex')}` })).id;
      privateId = (await ownerApi.createImage({ name: `e2e-err-private-${randomBytes(3).toString('hex')}`, visibility: 'private' })).id;
      await ownerApi.addMember(sharedId, member().projectId);
    });

    common('sharing a private image: 403 Not allowed to create members', async () => {
      const text = `Not allowed to create members for image ${privateId}.`;
      const [viaOsc, viaGlance] = await Promise.all([
        osc(owner(), 'image', 'add', 'project', privateId, member().projectId),
        glance(owner(), 'member-create', privateId, member().projectId),
      ]);
      assertError(
        viaOsc,
        `HttpException: 403: Client Error for url: ${ctx.deployment.imageUrl}/v2/images/${privateId}/members, `,
        text,
        '403 Forbidden',
      );
      assertError(viaGlance, `HTTP 403 Forbidden: ${text}`);
    });

    common('a duplicate member: 409 Member … is duplicated', async () => {
      const text = `Member ${member().projectId} is duplicated for image ${sharedId}`;
      const [viaOsc, viaGlance] = await Promise.all([
        osc(owner(), 'image', 'add', 'project', sharedId, member().projectId),
        glance(owner(), 'member-create', sharedId, member().projectId),
      ]);
      // The SDK joins its two halves in either order (`MSG: 409 Conflict` or `409 Conflict: MSG`).
      assertError(
        viaOsc,
        `ConflictException: 409: Client Error for url: ${ctx.deployment.imageUrl}/v2/images/${sharedId}/members, `,
        text,
        '409 Conflict',
      );
      assertError(viaGlance, `HTTP 409 Conflict: ${text}`);
    });

    it(`the owner accepting its own image: Glance's ${policyMode} answer, the member row unchanged`, async () => {
      const expected = ownerAcceptTexts(policyMode, sharedId, owner().projectId);
      const [viaOsc, viaGlance] = await Promise.all([
        osc(owner(), 'image', 'set', '--accept', sharedId),
        glance(owner(), 'member-update', sharedId, member().projectId, 'accepted'),
      ]);
      assertError(
        viaOsc,
        `${expected.osc.prefix}${ctx.deployment.imageUrl}/v2/images/${sharedId}/members/${owner().projectId}, `,
        expected.osc.message,
      );
      assertError(viaGlance, expected.glance);
      const memberApi = await imageApi(ctx.deployment, member());
      const pending = await memberApi.listImageIds({ visibility: 'shared', member_status: 'pending' });
      assert.ok(pending.includes(sharedId), 'the member must still be pending');
    });

    common(`the member limit: 413 with Maximum: ${MEMBER_LIMIT}`, async () => {
      await ownerApi.addMember(sharedId, stranger().projectId);
      const extra = randomBytes(16).toString('hex');
      const text = `Image member limit exceeded for image ${sharedId}: The limit has been exceeded on the number of allowed image members for this image. Attempted: ${MEMBER_LIMIT + 1}, Maximum: ${MEMBER_LIMIT}:`;
      const [viaOsc, viaGlance] = await Promise.all([
        osc(owner(), 'image', 'add', 'project', sharedId, extra),
        glance(owner(), 'member-create', sharedId, extra),
      ]);
      assertError(
        viaOsc,
        `HttpException: 413: Client Error for url: ${ctx.deployment.imageUrl}/v2/images/${sharedId}/members, `,
        text,
        '413 Request Entity Too Large',
      );
      assertError(viaGlance, `HTTP 413 Request Entity Too Large: ${text}`);
    });

    common("a stranger's image: OSC's No Image found for …, glance's 404 texts", async () => {
      // The stranger is a member now (limit test); take it out again so the image is foreign to it.
      const bystander = randomBytes(4).toString('hex');
      await ownerApi.removeMember(sharedId, stranger().projectId);
      const [show, add, members, shown] = await Promise.all([
        osc(stranger(), 'image', 'show', sharedId),
        osc(stranger(), 'image', 'add', 'project', sharedId, bystander),
        glance(stranger(), 'member-list', '--image-id', sharedId),
        glance(stranger(), 'image-show', sharedId),
      ]);
      assertError(show, `No Image found for ${sharedId}`);
      assertError(add, `No Image found for ${sharedId}`);
      assertError(members, `HTTP 404 Not Found: Image ${sharedId} not found.`);
      assertError(shown, `HTTP 404 Not Found: No image found with ID ${sharedId}`);
    });

    it('clean-up', async () => {
      // The image is deleted with its members, as Glance does.
      await ownerApi.deleteImage(sharedId);
      await ownerApi.deleteImage(privateId);
    });
  });
}
