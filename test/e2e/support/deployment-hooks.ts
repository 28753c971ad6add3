/**
 * before/after hooks shared by the client suites: one deployment (glance-share plus its identity)
 * per suite in a temporary directory, and a client HOME per account inside it.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Deployment, DeploymentOptions, IdentitySetup } from './identity.ts';

export interface SuiteContext {
  /** Set once `before` has run. */
  readonly deployment: Deployment;
  readonly workDir: string;
  /** A fresh directory under the work dir, e.g. a client HOME. */
  dir(name: string): string;
}

/** Registers before/after in the current describe and returns the context they fill. */
export function useDeployment(setup: IdentitySetup, options: Omit<DeploymentOptions, 'workDir'>): SuiteContext {
  let deployment: Deployment | undefined;
  let workDir: string | undefined;
  const context: SuiteContext = {
    get deployment() {
      if (deployment === undefined) throw new Error('the deployment is not running');
      return deployment;
    },
    get workDir() {
      if (workDir === undefined) throw new Error('no work directory');
      return workDir;
    },
    dir(name: string) {
      const path = join(context.workDir, name);
      mkdirSync(path, { recursive: true });
      return path;
    },
  };
  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'glance-share-e2e-'));
    deployment = await setup.start({ ...options, workDir });
  });
  after(async () => {
    await deployment?.stop();
    if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
  });
  return context;
}
