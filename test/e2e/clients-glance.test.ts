/**
 * The member workflow through the real `glance` client (python3-glanceclient 4.1) against
 * glance-share with its built-in identity.
 */
import { describeGlanceClient } from './support/glance-suite.ts';
import { builtinIdentity } from './support/identity.ts';

describeGlanceClient(builtinIdentity);
