import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAgentOptions } from './agent-options';

describe('parseAgentOptions', () => {
  it('defaults per platform', () => {
    assert.deepEqual(parseAgentOptions([], {}, 'win32'), { port: 9000, host: '0.0.0.0', tokenFile: 'C:\\OEM\\pantheon\\agent-token', adapter: 'windows' });
    assert.deepEqual(parseAgentOptions([], {}, 'linux'), { port: 9000, host: '0.0.0.0', tokenFile: '/oem/pantheon/agent-token', adapter: 'linux' });
  });

  it('takes env, and flags over env (both flag forms)', () => {
    const env = { PANTHEON_AGENT_PORT: '9100', PANTHEON_AGENT_TOKEN_FILE: '/env/token', PANTHEON_AGENT_HOST: '' };
    assert.deepEqual(parseAgentOptions([], env, 'linux'), { port: 9100, host: '0.0.0.0', tokenFile: '/env/token', adapter: 'linux' });
    assert.deepEqual(parseAgentOptions(['--port', '9200', '--token-file=/flag/token', '--host', '127.0.0.1', '--adapter', 'windows'], env, 'linux'), {
      port: 9200,
      host: '127.0.0.1',
      tokenFile: '/flag/token',
      adapter: 'windows',
    });
  });

  it('names the bad flag or variable', () => {
    assert.throws(() => parseAgentOptions(['--port', '70000'], {}, 'linux'), /--port: must be a port/);
    assert.throws(() => parseAgentOptions([], { PANTHEON_AGENT_PORT: 'x' }, 'linux'), /PANTHEON_AGENT_PORT: must be a port/);
    assert.throws(() => parseAgentOptions(['--adapter', 'mac'], {}, 'linux'), /--adapter: must be windows or linux/);
    assert.throws(() => parseAgentOptions(['--token'], {}, 'linux'), /unknown option --token/);
    assert.throws(() => parseAgentOptions(['--token-file'], {}, 'linux'), /--token-file needs a value/);
  });
});
