import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogSampler } from './log-sampler';

describe('LogSampler', () => {
  it('admits the first N per interval and kind, then reports how many it held back', () => {
    const reports: Array<[string, number]> = [];
    const sampler = new LogSampler(3, 1000, (kind, n) => reports.push([kind, n]));
    const admitted = Array.from({ length: 1000 }, (_, i) => sampler.admit('http 401', i % 2 === 0 ? 0 : 999)).filter(Boolean).length;
    assert.equal(admitted, 3);
    assert.equal(sampler.admit('http 429', 10), true, 'kinds are counted apart');
    assert.deepEqual(reports, []);
    assert.equal(sampler.admit('http 401', 1000), true, 'a new interval');
    assert.deepEqual(reports, [['http 401', 997]]);
    assert.equal(sampler.admit('http 401', 2500), true);
    assert.deepEqual(reports, [['http 401', 997]], 'nothing held back, nothing reported');
  });
});
