/** glance-share (policy.mode new-defaults) against Glance 25.1 with enforce_secure_rbac and enforce_new_defaults. */
import { defineParitySuite } from './suite.ts';

defineParitySuite('new-defaults');
