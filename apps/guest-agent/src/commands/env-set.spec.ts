import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OsAdapter } from '../os/os-adapter';
import { DEFAULT_COMMAND_LIMITS, runCommand } from './agent-commands';

function adapter(): { os: OsAdapter; calls: Record<string, string | null>[] } {
  const calls: Record<string, string | null>[] = [];
  const os = { setUserEnv: async (vars: Record<string, string | null>) => void calls.push(vars) } as unknown as OsAdapter;
  return { os, calls };
}

describe('env_set', () => {
  it('sets the user environment and the agent\'s own (so its exec children see it at once)', async () => {
    const { os, calls } = adapter();
    const result = await runCommand('env_set', { vars: { PANTHEON_SPEC_VAR: 'v1', OPENAI_API_KEY: null } }, os, DEFAULT_COMMAND_LIMITS);
    assert.deepEqual(result, { names: ['OPENAI_API_KEY', 'PANTHEON_SPEC_VAR'] });
    assert.deepEqual(calls, [{ PANTHEON_SPEC_VAR: 'v1', OPENAI_API_KEY: null }]);
    assert.equal(process.env.PANTHEON_SPEC_VAR, 'v1');
    await runCommand('env_set', { vars: { PANTHEON_SPEC_VAR: null } }, os, DEFAULT_COMMAND_LIMITS);
    assert.equal(process.env.PANTHEON_SPEC_VAR, undefined);
  });

  it('refuses names outside the gateway and platform variables, multi-line values and odd shapes', async () => {
    const { os, calls } = adapter();
    for (const vars of [{ PATH: '/tmp' }, { LD_PRELOAD: 'x' }, { ANTHROPIC_API_KEY: 'a\nexport PATH=/tmp' }, { OPENAI_API_KEY: 5 }, {}, 'x', null, ['A']]) {
      await assert.rejects(runCommand('env_set', { vars }, os, DEFAULT_COMMAND_LIMITS), { code: 'bad_request' }, JSON.stringify(vars));
    }
    assert.equal(calls.length, 0);
  });
});
