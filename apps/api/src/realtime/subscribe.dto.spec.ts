import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSubscribeRequest, roomOf } from './subscribe.dto';

const ID = '0b9c8a8e-55d1-4c3b-9f0e-2a7d3c1e4f50';

describe('parseSubscribeRequest', () => {
  it('accepts the two shapes, with or without lastSeq', () => {
    assert.deepEqual(parseSubscribeRequest({ channel: 'project-updates' }), { ok: true, request: { channel: 'project-updates' } });
    assert.deepEqual(parseSubscribeRequest({ channel: 'project-updates', lastSeq: 0 }), {
      ok: true,
      request: { channel: 'project-updates', lastSeq: 0 },
    });
    assert.deepEqual(parseSubscribeRequest({ projectId: ID, lastSeq: 42 }), { ok: true, request: { projectId: ID, lastSeq: 42 } });
  });

  it('lower-cases the project id, as rooms and events spell it', () => {
    assert.deepEqual(parseSubscribeRequest({ projectId: ID.toUpperCase() }), { ok: true, request: { projectId: ID } });
  });

  it('refuses anything else with a message', () => {
    const bad: unknown[] = [
      undefined,
      null,
      'project-updates',
      42,
      [],
      [{ channel: 'project-updates' }],
      {},
      { lastSeq: 1 },
      { channel: 'project-updates', projectId: ID },
      { channel: 'project-updates', room: 'user:someone-else' },
      { channel: 'all' },
      { channel: ['project-updates'] },
      { projectId: 'not-a-uuid' },
      { projectId: `${ID} ` },
      { projectId: 7 },
      { room: `project:${ID}` },
      { channel: 'project-updates', lastSeq: -1 },
      { channel: 'project-updates', lastSeq: 1.5 },
      { channel: 'project-updates', lastSeq: '3' },
      { channel: 'project-updates', lastSeq: Number.MAX_SAFE_INTEGER + 2 },
      { channel: 'project-updates', lastSeq: null },
      JSON.parse('{"channel":"project-updates","__proto__":{"x":1}}'),
      Object.assign(Object.create({ inherited: true }), { channel: 'project-updates' }),
    ];
    for (const body of bad) {
      const result = parseSubscribeRequest(body);
      assert.equal(result.ok, false, JSON.stringify(body));
      assert.ok(!result.ok && result.error.length > 0);
    }
  });
});

describe('roomOf', () => {
  it('names the user room for project-updates and the project room for a project', () => {
    assert.equal(roomOf('u1', { channel: 'project-updates' }), 'user:u1');
    assert.equal(roomOf('u1', { projectId: ID, lastSeq: 3 }), `project:${ID}`);
  });
});
