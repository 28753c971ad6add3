/**
 * The deployment files the README documents: the Dockerfile (multi-stage, dev dependencies only in
 * the build stage, non-root, health check, data volume) and the systemd unit (checked by
 * `systemd-analyze verify` where systemd's tools are installed, as on Debian). Building and
 * running the image needs a container registry for the base image, which this project's machines
 * cannot reach; these checks keep the files consistent with the service meanwhile.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../helpers/build-app.ts';

describe('deployment files', () => {
  const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);

  it('Dockerfile: a build stage with the dev dependencies, a runtime stage with only the runtime ones', () => {
    assert.equal(stages.length, 2);
    const [build, runtime] = stages as [string, string];
    assert.match(build, /^\S+ AS build/);
    assert.match(build, /RUN npm ci --no-audit/);
    assert.match(build, /RUN npm run build/);
    assert.match(build, /RUN npm ci --omit=dev/);
    assert.doesNotMatch(runtime, /npm ci(?! --omit=dev)/);
    assert.match(runtime, /COPY --from=build \/src\/dist \.\/dist/);
    assert.match(runtime, /COPY --from=build \/src\/schemas \.\/schemas/);
  });

  it('Dockerfile: runs as a non-root user, checks /healthcheck, keeps data on a volume, starts the compiled service', () => {
    const runtime = stages[1]!;
    assert.match(runtime, /^USER node$/m);
    assert.match(runtime, /^HEALTHCHECK .*\n?.*\/healthcheck/m);
    assert.match(runtime, /^VOLUME \["\/var\/lib\/glance-share"\]$/m);
    assert.match(runtime, /^ENTRYPOINT \["node", "dist\/server\.js"\]$/m);
    assert.ok(existsSync(join(projectRoot, '.dockerignore')));
  });

  it('systemd unit: valid for systemd-analyze, runs the compiled service as its own user and stops it with SIGTERM', (t) => {
    const unit = join(projectRoot, 'deploy', 'glance-share.service');
    const text = readFileSync(unit, 'utf8');
    assert.match(text, /^ExecStart=\/usr\/bin\/node dist\/server\.js serve$/m);
    assert.match(text, /^User=glance-share$/m);
    assert.match(text, /^KillSignal=SIGTERM$/m);
    assert.match(text, /^StateDirectory=glance-share$/m);
    const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    if (verify.error !== undefined) {
      t.skip('systemd-analyze is not installed');
      return;
    }
    assert.equal(verify.status, 0, verify.stderr);
    assert.equal(verify.stderr.trim(), '');
  });
});
