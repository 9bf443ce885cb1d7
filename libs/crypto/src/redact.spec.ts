import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { REDACT_PATHS, redactSecrets } from './redact';

const CANARY = `sk-canary-${randomBytes(8).toString('hex')}`;
const SENSITIVE_KEYS = [
  'key',
  'apiKey',
  'api_key',
  'token',
  'access_token',
  'refresh_token',
  'password',
  'secret',
  'ciphertext',
  'authorization',
];

function captureLogger() {
  const lines: string[] = [];
  const logger = pino({ redact: REDACT_PATHS }, { write: (line: string) => void lines.push(line) });
  return { logger, output: () => lines.join('') };
}

describe('REDACT_PATHS with a real pino logger', () => {
  for (const key of SENSITIVE_KEYS) {
    it(`redacts ${key} at depth 0, 1 and 2`, () => {
      const { logger, output } = captureLogger();
      logger.info({ [key]: CANARY, userId: 'user-a' }, 'top');
      logger.info({ body: { [key]: CANARY, name: 'visible' } }, 'nested');
      logger.info({ request: { body: { [key]: CANARY } } }, 'deep');
      logger.info({ keys: [{ [key]: CANARY }] }, 'array');
      const text = output();
      assert.ok(!text.includes(CANARY), text);
      assert.equal(text.split('[Redacted]').length - 1, 4);
      assert.match(text, /"userId":"user-a"/);
      assert.match(text, /"name":"visible"/);
    });
  }

  it('redacts credential headers the way pino-http logs them', () => {
    const { logger, output } = captureLogger();
    logger.info(
      {
        req: {
          method: 'GET',
          url: '/v1/keys',
          headers: {
            authorization: `Bearer ${CANARY}`,
            cookie: `session=${CANARY}`,
            'x-api-key': CANARY,
            'proxy-authorization': `Basic ${CANARY}`,
            'user-agent': 'test',
          },
        },
        res: { statusCode: 200, headers: { 'set-cookie': `session=${CANARY}` } },
      },
      'request completed',
    );
    const text = output();
    assert.ok(!text.includes(CANARY), text);
    assert.match(text, /"user-agent":"test"/);
  });

  it('leaves unrelated fields alone', () => {
    const { logger, output } = captureLogger();
    logger.info({ userId: 'user-a', projectId: 'project-b', code: 'PROVIDER_TIMEOUT' }, 'failed');
    assert.ok(!output().includes('[Redacted]'));
  });
});

describe('redactSecrets', () => {
  it('replaces every occurrence of every secret', () => {
    const text = `invalid key ${CANARY}; retry with ${CANARY} or other-secret-123`;
    assert.equal(
      redactSecrets(text, [CANARY, 'other-secret-123']),
      'invalid key [REDACTED]; retry with [REDACTED] or [REDACTED]',
    );
  });

  it('ignores empty and short secrets that would match ordinary words', () => {
    assert.equal(redactSecrets('the key is invalid', ['', 'key', 'invalid']), 'the key is invalid');
  });

  it('removes a secret that contains another one whole', () => {
    assert.equal(redactSecrets(`x ${CANARY} y`, ['canary-7d0c', CANARY]), 'x [REDACTED] y');
  });

  it('treats secrets literally, not as patterns', () => {
    assert.equal(redactSecrets('a $&.*+?(secret) b', ['$&.*+?(secret)']), 'a [REDACTED] b');
    assert.equal(redactSecrets('no match here', ['.*.*.*.*']), 'no match here');
  });
});
