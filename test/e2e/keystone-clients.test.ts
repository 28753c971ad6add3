/**
 * Tempest and the real clients (openstack, glance, openstacksdk) against glance-share in
 * `auth.mode: "keystone"`: a real Keystone 22 (Debian's python3-keystone) issues the tokens and
 * glance-share validates them with its service account. One Keystone serves every suite here.
 * The error texts are glance-share's own whatever the identity mode: clients-errors.test.ts covers
 * them through OSC and glance, and the SDK suite here repeats them (409, 403, 413, 404) cheaply.
 */
import { after } from 'node:test';
import { describeGlanceClient } from './support/glance-suite.ts';
import { keystoneIdentity } from './support/keystone-identity.ts';
import { describeOpenstackClient } from './support/openstack-suite.ts';
import { describeSdk } from './support/sdk-suite.ts';
import { describeTempest } from './support/tempest-suite.ts';

const keystone = keystoneIdentity();
after(() => keystone.shutdown());

describeTempest(keystone.setup);
describeOpenstackClient(keystone.setup);
describeGlanceClient(keystone.setup);
describeSdk(keystone.setup);
