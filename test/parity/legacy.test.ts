/** glance-share (policy.mode legacy) against Glance 25.1 with its Zed defaults. */
import { defineParitySuite } from './suite.ts';

defineParitySuite('legacy');
