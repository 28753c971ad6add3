/**
 * The sharing workflow through openstacksdk 0.101 (python3-openstacksdk; support/sdk_workflow.py)
 * against glance-share with its built-in identity.
 */
import { builtinIdentity } from './support/identity.ts';
import { describeSdk } from './support/sdk-suite.ts';

describeSdk(builtinIdentity);
