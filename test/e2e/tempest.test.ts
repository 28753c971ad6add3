/**
 * Tempest 33's nine image-member tests against glance-share as a child process, with its built-in
 * identity (Tempest logs in by user and project name in domain Default). Needs Debian's `tempest`
 * package (scripts/install-peers.sh).
 */
import { builtinIdentity } from './support/identity.ts';
import { describeTempest } from './support/tempest-suite.ts';

describeTempest(builtinIdentity);
