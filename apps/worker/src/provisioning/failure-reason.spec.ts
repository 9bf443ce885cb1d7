import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pullFailureReason } from './failure-reason';

describe('pullFailureReason', () => {
  const cases: [string, string][] = [
    ['manifest for dockurr/windows:9 not found: manifest unknown', 'the registry has no such image'],
    ['pull access denied for acme/private, repository does not exist or may require docker login', 'the registry refused access (the image is private or the registry credentials are wrong)'],
    ['Get "https://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused', 'the registry could not be reached'],
    ['Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host', 'the registry could not be reached'],
    ['no result within 3600 s', 'the download took too long'],
    ['write /var/lib/docker/tmp/x: no space left on device', 'the platform ran out of disk space'],
    ['something else entirely', 'the download failed'],
  ];
  for (const [engine, why] of cases) {
    it(`says "${why}" for: ${engine.slice(0, 60)}`, () => {
      assert.equal(pullFailureReason('img:1', engine), `the image img:1 could not be downloaded: ${why}`);
    });
  }

  it('never repeats the engine text (it names hosts and paths)', () => {
    assert.doesNotMatch(pullFailureReason('img:1', 'dial tcp 10.1.2.3:443: i/o timeout /var/lib/docker'), /10\.1\.2\.3|\/var\/lib/);
  });
});
