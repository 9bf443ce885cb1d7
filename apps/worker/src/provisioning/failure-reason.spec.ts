import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IpamError, IpamErrorCode } from '@pantheon/ipam';
import { RuntimeError, RuntimeErrorCode } from '@pantheon/runtime';
import { ProvisionFailure, userFacingReason } from './failure-reason';

describe('userFacingReason', () => {
  it('passes a reason written for the user through', () => {
    assert.equal(userFacingReason(new ProvisionFailure('the project has no network assigned')), 'the project has no network assigned');
  });

  it('never shows engine details (host paths, image names, addresses) for any runtime error code', () => {
    const detail = 'image registry.internal:5000/pantheon/vm:1.2 bind /srv/pantheon/shares/x 172.30.7.2 /var/run/docker.sock';
    for (const code of Object.values(RuntimeErrorCode)) {
      const reason = userFacingReason(new RuntimeError(code, detail));
      assert.ok(reason.length > 0, code);
      for (const leak of ['registry.internal', 'pantheon/vm', '/srv/', '172.30.', 'docker.sock']) {
        assert.ok(!reason.includes(leak), `${code}: ${reason}`);
      }
    }
    assert.equal(
      userFacingReason(new RuntimeError(RuntimeErrorCode.IMAGE_NOT_FOUND, 'image pantheon/absent:spec is not present')),
      "the project's machine image is not available on this platform",
    );
  });

  it('hides IPAM and unexpected errors behind a generic sentence', () => {
    assert.equal(userFacingReason(new IpamError(IpamErrorCode.SUBNET_INDEX_OUT_OF_RANGE, 'subnet index 300 is out of range')), "the project's network assignment is invalid");
    assert.equal(userFacingReason(new Error('connect ECONNREFUSED /var/run/postgresql/.s.PGSQL.5432')), 'internal error while provisioning (see worker logs)');
  });
});
