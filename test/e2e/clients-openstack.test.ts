/**
 * The image-sharing workflow through the real `openstack` client (python3-openstackclient 6.0)
 * against glance-share with its built-in identity.
 */
import { describeOpenstackClient } from './support/openstack-suite.ts';
import { builtinIdentity } from './support/identity.ts';

describeOpenstackClient(builtinIdentity);
