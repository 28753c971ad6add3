/**
 * The error messages users meet while sharing (private image, duplicate member, the owner
 * accepting, the member limit, a stranger's image), through the real `openstack` and `glance`
 * clients against glance-share with its built-in identity: every case in the default policy mode
 * (new-defaults), and the one whose text differs in legacy mode (Glance Zed's texts).
 */
import { describeClientErrors } from './support/errors-suite.ts';
import { builtinIdentity } from './support/identity.ts';

describeClientErrors(builtinIdentity, 'new-defaults');
describeClientErrors(builtinIdentity, 'legacy', { policySpecificOnly: true });
