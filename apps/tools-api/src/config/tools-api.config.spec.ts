import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadToolsApiConfig, type Env } from './tools-api.config';

const PROJECT_ID = '0b6f1c52-3f5e-4c1e-9a8e-2f1d6c7b8a90';
const FILES = { PANTHEON_PROJECT_TOKEN_FILE: '/run/pantheon/project-token', PANTHEON_API_CREDENTIAL_FILE: '/run/pantheon/api-credential' };
const VALID: Env = { PROJECT_ID, VM_HOST: '172.30.7.2', ...FILES };
const PATHS = { projectTokenFile: FILES.PANTHEON_PROJECT_TOKEN_FILE, credentialFile: FILES.PANTHEON_API_CREDENTIAL_FILE };

/** Asserts that loading `env` fails naming exactly `variables`, and returns the message. */
function rejects(env: Env, variables: string[]): string {
  let caught: unknown;
  try {
    loadToolsApiConfig(env);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError for ${JSON.stringify(env)}`);
  assert.deepEqual(caught.variables, variables);
  for (const variable of variables) assert.match(caught.message, new RegExp(`\\b${variable}\\b`));
  return caught.message;
}

describe('loadToolsApiConfig', () => {
  it('applies the documented defaults', () => {
    assert.deepEqual(loadToolsApiConfig(VALID), {
      projectId: PROJECT_ID,
      vmHost: '172.30.7.2',
      vmViewerPort: 8006,
      guestAgentPort: 9000,
      vmVncPort: 5900,
      screenshotMaxWidth: 1280,
      port: 8090,
      host: '0.0.0.0',
      healthTimeoutMs: 1500,
      ...PATHS,
      guestAgentTokenFile: null,
      gatewayUrl: null,
    });
  });

  it('reads every variable and lower-cases the project id', () => {
    const config = loadToolsApiConfig({
      PROJECT_ID: PROJECT_ID.toUpperCase(),
      VM_HOST: '10.1.2.3',
      VM_VIEWER_PORT: '18006',
      GUEST_AGENT_PORT: '19000',
      VM_VNC_PORT: '15900',
      SCREENSHOT_MAX_WIDTH: '1024',
      GUEST_AGENT_TOKEN_FILE: '/run/pantheon/guest-agent-token',
      PORT: '3000',
      HOST: '::',
      HEALTH_TIMEOUT_MS: '250',
      PANTHEON_GATEWAY_URL: 'http://172.30.7.3:3000/v1',
      ...FILES,
    });
    assert.deepEqual(config, {
      projectId: PROJECT_ID,
      vmHost: '10.1.2.3',
      vmViewerPort: 18006,
      guestAgentPort: 19000,
      vmVncPort: 15900,
      screenshotMaxWidth: 1024,
      port: 3000,
      host: '::',
      healthTimeoutMs: 250,
      ...PATHS,
      guestAgentTokenFile: '/run/pantheon/guest-agent-token',
      gatewayUrl: new URL('http://172.30.7.3:3000/v1'),
    });
  });

  it('refuses a gateway URL that is not plain http(s)', () => {
    for (const bad of ['ftp://172.30.7.3/v1', 'not a url', 'http://user:pw@172.30.7.3:3000/v1', 'http://172.30.7.3:3000/v1?x=1']) {
      rejects({ ...VALID, PANTHEON_GATEWAY_URL: bad }, ['PANTHEON_GATEWAY_URL']);
    }
  });

  it('ignores unrelated variables and reads empty optional ones as unset', () => {
    const config = loadToolsApiConfig({ ...VALID, PATH: '/usr/bin', NODE_ENV: 'production', PORT: '' });
    assert.equal(config.port, 8090);
  });

  it('requires PROJECT_ID as a UUID', () => {
    assert.equal(rejects({ VM_HOST: '172.30.7.2' }, ['PROJECT_ID']), 'PROJECT_ID is required');
    rejects({ ...VALID, PROJECT_ID: '' }, ['PROJECT_ID']);
    for (const bad of ['project-1', `${PROJECT_ID}0`, PROJECT_ID.replace(/-/g, ''), ` ${PROJECT_ID}`]) {
      assert.equal(rejects({ ...VALID, PROJECT_ID: bad }, ['PROJECT_ID']), 'PROJECT_ID must be a UUID');
    }
  });

  it('requires both credential files as absolute paths', () => {
    for (const name of Object.keys(FILES)) {
      assert.equal(rejects({ ...VALID, [name]: undefined }, [name]), `${name} is required`);
      assert.equal(rejects({ ...VALID, [name]: 'run/pantheon/x' }, [name]), `${name} must be an absolute path`);
    }
  });

  it('refuses the project token as a variable: it only ever arrives as a file', () => {
    const message = rejects({ ...VALID, PANTHEON_PROJECT_TOKEN: 'pt_canary' }, ['PANTHEON_PROJECT_TOKEN']);
    assert.ok(!message.includes('pt_canary'));
  });

  it('requires VM_HOST as an IPv4 address, not a name', () => {
    rejects({ PROJECT_ID, ...FILES }, ['VM_HOST']);
    for (const bad of ['vm', 'localhost', '172.30.7', '172.30.7.256', '::1', '172.30.7.2:9000']) {
      assert.equal(rejects({ ...VALID, VM_HOST: bad }, ['VM_HOST']), 'VM_HOST must be an IPv4 address');
    }
  });

  it('accepts ports 1..65535 written as plain digits only', () => {
    const fields = {
      VM_VIEWER_PORT: 'vmViewerPort',
      GUEST_AGENT_PORT: 'guestAgentPort',
      VM_VNC_PORT: 'vmVncPort',
      PORT: 'port',
    } as const;
    for (const [name, field] of Object.entries(fields)) {
      assert.equal(loadToolsApiConfig({ ...VALID, [name]: '1' })[field], 1);
      assert.equal(loadToolsApiConfig({ ...VALID, [name]: '65535' })[field], 65535);
      for (const bad of ['0', '65536', '-1', '80.5', ' 80', '0x50', '8e1', 'http', '1234567']) {
        assert.equal(rejects({ ...VALID, [name]: bad }, [name]), `${name} must be an integer in 1..65535`);
      }
    }
  });

  it('bounds SCREENSHOT_MAX_WIDTH and takes GUEST_AGENT_TOKEN_FILE as an absolute path', () => {
    rejects({ ...VALID, SCREENSHOT_MAX_WIDTH: '319' }, ['SCREENSHOT_MAX_WIDTH']);
    rejects({ ...VALID, SCREENSHOT_MAX_WIDTH: '7681' }, ['SCREENSHOT_MAX_WIDTH']);
    assert.equal(loadToolsApiConfig({ ...VALID, SCREENSHOT_MAX_WIDTH: '320' }).screenshotMaxWidth, 320);
    assert.equal(
      rejects({ ...VALID, GUEST_AGENT_TOKEN_FILE: 'run/x' }, ['GUEST_AGENT_TOKEN_FILE']),
      'GUEST_AGENT_TOKEN_FILE must be an absolute path',
    );
    assert.equal(loadToolsApiConfig({ ...VALID, GUEST_AGENT_TOKEN_FILE: '' }).guestAgentTokenFile, null);
  });

  it('bounds HEALTH_TIMEOUT_MS and requires HOST to be an IP address', () => {
    rejects({ ...VALID, HEALTH_TIMEOUT_MS: '0' }, ['HEALTH_TIMEOUT_MS']);
    rejects({ ...VALID, HEALTH_TIMEOUT_MS: '60001' }, ['HEALTH_TIMEOUT_MS']);
    assert.equal(loadToolsApiConfig({ ...VALID, HEALTH_TIMEOUT_MS: '60000' }).healthTimeoutMs, 60_000);
    assert.equal(rejects({ ...VALID, HOST: 'localhost' }, ['HOST']), 'HOST must be an IP address to listen on');
  });

  it('refuses to start with secret-like variables, naming them but never their values', () => {
    const canary = 'sk-canary-7f3a9c';
    const message = rejects(
      { ...VALID, OPENAI_API_KEY: canary, db_password: canary, PANTHEON_MASTER_KEY: canary },
      ['OPENAI_API_KEY', 'PANTHEON_MASTER_KEY', 'db_password'],
    );
    assert.ok(!message.includes(canary));
    assert.match(message, /^refusing to start: /);
    for (const name of ['GITHUB_TOKEN', 'CLIENT_SECRET', 'anthropic_api_key', 'X_SECRET']) {
      rejects({ ...VALID, [name]: 'x' }, [name]);
    }
    // The guard runs first: a secret is reported even when the rest of the config is wrong too.
    rejects({ AWS_SECRET: 'x' }, ['AWS_SECRET']);
    // Even an empty value: the name alone shows that a secret is being wired in.
    rejects({ ...VALID, OPENAI_API_KEY: '' }, ['OPENAI_API_KEY']);
  });

  it('only matches the secret words at the end of a name', () => {
    for (const name of ['TOKEN_TTL', 'SECRET_BROKER_URL', 'PASSWORD_POLICY', 'API_KEYS_ENABLED']) {
      assert.doesNotThrow(() => loadToolsApiConfig({ ...VALID, [name]: 'x' }), name);
    }
  });
});
