import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import { canaryKey, createApiKey, createCustomModel, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';

/**
 * Every route, given bad input, answers 4xx with the one error shape and a message: never a 5xx, never a stack
 * or SQL, and a rejected request changes nothing (the user's keys, models, settings and audit trail are
 * compared before and after).
 */

type Method = 'get' | 'post' | 'put' | 'delete';

interface Case {
  name: string;
  method: Method;
  path: string;
  /** JSON body (serialised by supertest). */
  body?: unknown;
  /** Raw body sent as-is, with `contentType` (default application/json). */
  raw?: string;
  contentType?: string;
  /** Exact status expected; any 4xx when absent. */
  status?: number;
  /** The message must match. */
  message?: RegExp;
}

const SQL_TEXT = /\b(select|insert|update\s+\w+\s+set|delete\s+from|prisma|relation|syntax error)\b/i;
const STACK_FRAME = /\n\s+at .+\(.+:\d+:\d+\)|\bat .+\.js:\d+/;

/** The one error shape: `{statusCode, error, message}`; 4xx; no stack, no SQL. */
function assertClientError(res: Response, c: Pick<Case, 'name' | 'status' | 'message'>): void {
  const where = `${c.name}: ${res.status} ${JSON.stringify(res.body)}`;
  assert.ok(res.status >= 400 && res.status <= 499, `expected 4xx, ${where}`);
  if (c.status !== undefined) assert.equal(res.status, c.status, where);
  assert.match(String(res.headers['content-type']), /^application\/json/, where);
  const body = res.body as Record<string, unknown>;
  assert.equal(body.statusCode, res.status, where);
  assert.equal(typeof body.error, 'string', where);
  assert.ok((body.error as string).length > 0, where);
  assert.equal(typeof body.message, 'string', where);
  assert.ok((body.message as string).trim().length > 0, where);
  if (c.message) assert.match(body.message as string, c.message, where);
  assert.equal('stack' in body, false, where);
  assert.doesNotMatch(res.text, SQL_TEXT, where);
  assert.doesNotMatch(res.text, STACK_FRAME, where);
}

/** An object nested `depth` levels below the value it is placed in. */
function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

/** Field-level type mistakes: each replaces one field of an otherwise valid body. */
const WRONG_TYPES: Array<[string, unknown]> = [
  ['a number', 12345678],
  ['a boolean', true],
  ['an array', ['x']],
  ['an object', { x: 1 }],
  ['null', null],
];

describe('bad input: every route answers 4xx with a message and changes nothing', () => {
  let issuer: OidcIssuerHandle;
  let api: TestApi;
  let user: TestUser;
  let other: TestUser;
  let otherKeyId: string;
  let otherModelId: string;
  const snapshots: Record<string, unknown>[] = [];

  const send = (c: Case) => {
    let req = api.as(user)[c.method](c.path);
    if (c.raw !== undefined) return req.set('Content-Type', c.contentType ?? 'application/json').send(c.raw);
    if (c.body !== undefined) req = req.send(c.body as object);
    return req;
  };

  /** What bad input must not change: the user's keys, models, settings and audit trail. */
  async function snapshot(): Promise<Record<string, unknown>> {
    const get = async (path: string) => {
      const res = await api.as(user).get(path);
      assert.equal(res.status, 200, `${path}: ${res.status} ${res.text}`);
      return res.body as unknown;
    };
    return {
      keys: await get('/api/user/api-keys?limit=100'),
      models: await get('/api/user/models?limit=100'),
      settings: await get('/api/user/settings'),
      audit: await get('/api/user/audit?limit=100'),
      verify: await get('/api/user/audit/verify'),
    };
  }

  before(async () => {
    issuer = await startOidcIssuer();
    api = await startTestApi(issuer, { OUTBOUND_ALLOW_HOSTS: '127.0.0.1' });
    user = await createUser(api, issuer, 'bad');
    other = await createUser(api, issuer, 'bad-other');
    // Something to lose: a key, a custom key with a base URL, a model, non-default settings.
    await createApiKey(api, user, { name: 'kept key' });
    await createApiKey(api, user, { name: 'kept custom', provider: 'custom', base_url: 'http://127.0.0.1:9/v1' });
    await createCustomModel(api, user, 'kept-model');
    await api
      .as(user)
      .put('/api/user/settings')
      .send({ preferred_model: 'anthropic/claude-sonnet-4', model_parameters: { temperature: 0.3, stop: ['END'] } })
      .expect(200);
    otherKeyId = (await createApiKey(api, other)).id;
    otherModelId = (await createCustomModel(api, other)).id;
    snapshots.push(await snapshot());
    const seeded = snapshots[0] as { keys: { data: unknown[] }; models: { data: unknown[] }; settings: { preferred_model: string } };
    assert.equal(seeded.keys.data.length, 2);
    assert.equal(seeded.models.data.length, 1);
    assert.equal(seeded.settings.preferred_model, 'anthropic/claude-sonnet-4');
  });

  after(async () => {
    await api?.close();
    await issuer?.stop();
  });

  // ---------------------------------------------------------------------------------------------------------
  // Body routes
  const validKey = () => ({ name: `bad-${randomUUID().slice(0, 8)}`, provider: 'openrouter', key: canaryKey('bad') });
  const validModel = () => ({ provider: 'openrouter', model_id: `bad-${randomUUID().slice(0, 8)}`, display_name: 'Bad model' });
  const validSettings = () => ({ preferred_model: 'openai/gpt-4o', model_parameters: { temperature: 1 } });

  const without = (o: Record<string, unknown>, field: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== field));

  /** Bad model parameters, shared by settings (model_parameters) and custom models (parameters). */
  const BAD_PARAMETERS: Array<[string, unknown, RegExp?]> = [
    ['temperature 3', { temperature: 3 }, /temperature/],
    ['temperature -0.1', { temperature: -0.1 }, /temperature/],
    ['temperature as a string', { temperature: '0.5' }, /temperature/],
    ['temperature as a boolean', { temperature: true }, /temperature/],
    ['max_tokens 0', { max_tokens: 0 }, /max_tokens/],
    ['max_tokens 1.5', { max_tokens: 1.5 }, /max_tokens/],
    ['max_tokens 1000001', { max_tokens: 1_000_001 }, /max_tokens/],
    ['top_p 1.5', { top_p: 1.5 }, /top_p/],
    ['top_k 0', { top_k: 0 }, /top_k/],
    ['frequency_penalty 3', { frequency_penalty: 3 }, /frequency_penalty/],
    ['presence_penalty -3', { presence_penalty: -3 }, /presence_penalty/],
    ['repetition_penalty 2.5', { repetition_penalty: 2.5 }, /repetition_penalty/],
    ['seed -1', { seed: -1 }, /seed/],
    ['stop with 5 entries', { stop: ['a', 'b', 'c', 'd', 'e'] }, /stop/],
    ['stop as a string', { stop: 'END' }, /stop/],
    ['stop with a number', { stop: [1] }, /stop/],
    ['stop entry of 65 chars', { stop: ['x'.repeat(65)] }, /stop/],
    ['an unknown parameter', { foo: 1 }, /property foo should not exist/],
    ['an array', [0.5], undefined],
    ['a string', 'temperature=1', undefined],
    ['a number', 1, undefined],
    ['a boolean', true, undefined],
  ];

  const apiKeyCases = (): Case[] => {
    const path = '/api/user/api-keys';
    const post = (name: string, body: unknown, status = 400, message?: RegExp): Case => ({ name, method: 'post', path, body, status, message });
    const cases: Case[] = [];
    for (const field of ['name', 'provider', 'key']) {
      cases.push(post(`missing ${field}`, without(validKey(), field), 400, new RegExp(field)));
      for (const [label, value] of WRONG_TYPES) {
        // A number is a wrong type for every string field; other wrong types likewise.
        cases.push(post(`${field} as ${label}`, { ...validKey(), [field]: value }, 400, new RegExp(field)));
      }
    }
    cases.push(
      post('empty body object', {}, 400),
      post('a JSON array body', [validKey()], 400),
      post('name empty', { ...validKey(), name: '' }, 400, /name/),
      post('name only spaces', { ...validKey(), name: '    ' }, 400, /name/),
      post('name too long (65)', { ...validKey(), name: 'n'.repeat(65) }, 400, /name/),
      post('provider "foo"', { ...validKey(), provider: 'foo' }, 400, /provider must be one of/),
      post('provider in upper case', { ...validKey(), provider: 'OPENAI' }, 400, /provider must be one of/),
      post('key with spaces', { ...validKey(), key: 'sk-has spaces inside' }, 400, /key must be printable ASCII/),
      post('key with a tab', { ...validKey(), key: 'sk-has\ttab-inside' }, 400, /key/),
      post('key with non-ASCII', { ...validKey(), key: 'sk-ключ-ключ-ключ' }, 400, /key/),
      post('key too short (7)', { ...validKey(), key: 'sk-1234' }, 400, /key/),
      post('key too long (513)', { ...validKey(), key: `sk-${'k'.repeat(510)}` }, 400, /key/),
      post('custom provider without base_url', { ...validKey(), provider: 'custom' }, 400, /base_url is required/),
      post('custom provider with empty base_url', { ...validKey(), provider: 'custom', base_url: '' }, 400, /base_url/),
      post('base_url for a non-custom provider', { ...validKey(), base_url: 'https://api.example.test/v1' }, 400, /base_url is only accepted/),
      post('base_url null for a non-custom provider', { ...validKey(), base_url: null }, 400, /base_url/),
      post('base_url ftp://x', { ...validKey(), provider: 'custom', base_url: 'ftp://x' }, 400, /base_url must be an http\(s\) URL/),
      post('base_url "not a url"', { ...validKey(), provider: 'custom', base_url: 'not a url' }, 400, /base_url must be an http\(s\) URL/),
      post('base_url javascript:', { ...validKey(), provider: 'custom', base_url: 'javascript:alert(1)' }, 400, /base_url/),
      post('base_url as a number', { ...validKey(), provider: 'custom', base_url: 8080 }, 400, /base_url/),
      post('base_url too long', { ...validKey(), provider: 'custom', base_url: `https://h.test/${'p'.repeat(2100)}` }, 400, /base_url/),
      post('unknown field', { ...validKey(), extra: 1 }, 400, /property extra should not exist/),
      post('a user_id in the body', { ...validKey(), user_id: other.id }, 400, /property user_id should not exist/),
      post('ciphertext in the body', { ...validKey(), ciphertext: 'AAAA' }, 400, /property ciphertext should not exist/),
    );
    return cases;
  };

  const modelCases = (): Case[] => {
    const path = '/api/user/models';
    const post = (name: string, body: unknown, message?: RegExp): Case => ({ name, method: 'post', path, body, status: 400, message });
    const cases: Case[] = [];
    for (const field of ['provider', 'model_id', 'display_name']) {
      cases.push(post(`missing ${field}`, without(validModel(), field), new RegExp(field)));
      for (const [label, value] of WRONG_TYPES) cases.push(post(`${field} as ${label}`, { ...validModel(), [field]: value }, new RegExp(field)));
    }
    cases.push(
      post('empty body object', {}),
      post('provider "foo"', { ...validModel(), provider: 'foo' }, /provider must be one of/),
      post('model_id empty', { ...validModel(), model_id: '' }, /model_id/),
      post('model_id with a space', { ...validModel(), model_id: 'gpt 4o' }, /model_id/),
      post('model_id with SQL', { ...validModel(), model_id: "x'; drop table custom_models; --" }, /model_id/),
      post('model_id too long (201)', { ...validModel(), model_id: 'm'.repeat(201) }, /model_id/),
      post('display_name empty', { ...validModel(), display_name: '' }, /display_name/),
      post('display_name only spaces', { ...validModel(), display_name: '   ' }, /display_name/),
      post('display_name too long (101)', { ...validModel(), display_name: 'd'.repeat(101) }, /display_name/),
      post('context_length 0', { ...validModel(), context_length: 0 }, /context_length/),
      post('context_length -1', { ...validModel(), context_length: -1 }, /context_length/),
      post('context_length 1.5', { ...validModel(), context_length: 1.5 }, /context_length/),
      post('context_length too large', { ...validModel(), context_length: 100_000_001 }, /context_length/),
      post('context_length as a string', { ...validModel(), context_length: '4096' }, /context_length/),
      post('context_length as a boolean', { ...validModel(), context_length: true }, /context_length/),
      post('context_length as an array', { ...validModel(), context_length: [4096] }, /context_length/),
      post('unknown field', { ...validModel(), owner_id: other.id }, /property owner_id should not exist/),
    );
    for (const [label, parameters, message] of BAD_PARAMETERS) {
      cases.push(post(`parameters: ${label}`, { ...validModel(), parameters }, message));
    }
    return cases;
  };

  const settingsCases = (): Case[] => {
    const path = '/api/user/settings';
    const put = (name: string, body: unknown, message?: RegExp): Case => ({ name, method: 'put', path, body, status: 400, message });
    const cases: Case[] = [
      put('preferred_model as a number', { ...validSettings(), preferred_model: 42 }, /preferred_model/),
      put('preferred_model as a boolean', { ...validSettings(), preferred_model: true }, /preferred_model/),
      put('preferred_model as an array', { ...validSettings(), preferred_model: ['openai/gpt-4o'] }, /preferred_model/),
      put('preferred_model as an object', { ...validSettings(), preferred_model: { provider: 'openai' } }, /preferred_model/),
      put('preferred_model without a provider', { ...validSettings(), preferred_model: 'gpt-4o' }, /preferred_model must look like provider\/model/),
      put('preferred_model with an unknown provider', { ...validSettings(), preferred_model: 'foo/bar' }, /preferred_model/),
      put('preferred_model with an empty model', { ...validSettings(), preferred_model: 'openai/' }, /preferred_model/),
      put('preferred_model with a space', { ...validSettings(), preferred_model: 'openai/gpt 4o' }, /preferred_model/),
      put('preferred_model empty', { ...validSettings(), preferred_model: '' }, /preferred_model/),
      put('preferred_model too long', { ...validSettings(), preferred_model: `openai/${'m'.repeat(195)}` }, /preferred_model/),
      put('unknown field', { ...validSettings(), theme: 'dark' }, /property theme should not exist/),
      put('a JSON array body', [validSettings()]),
    ];
    for (const [label, model_parameters, message] of BAD_PARAMETERS) {
      cases.push(put(`model_parameters: ${label}`, { ...validSettings(), model_parameters }, message));
    }
    return cases;
  };

  /** Transport-level problems, the same for every body route. */
  const bodyShapeCases = (method: Method, path: string, valid: () => Record<string, unknown>): Case[] => [
    { name: 'oversize body (> 100kb)', method, path, body: { ...valid(), pad: 'x'.repeat(150 * 1024) }, status: 413, message: /too large/ },
    {
      name: 'oversize body with a lying Content-Length-free raw string',
      method,
      path,
      raw: JSON.stringify({ ...valid(), model_parameters: { stop: ['y'.repeat(200 * 1024)] } }),
      status: 413,
      message: /too large/,
    },
    { name: 'nesting depth 9', method, path, body: { ...valid(), deep: nested(9) }, status: 400, message: /nested too deeply/ },
    { name: 'nesting depth 5000', method, path, raw: `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`, status: 400, message: /nested too deeply/ },
    { name: 'too many elements', method, path, body: { ...valid(), many: Array.from({ length: 2500 }, () => 1) }, status: 400, message: /too many elements/ },
    { name: 'invalid JSON', method, path, raw: '{"name": "x",', status: 400, message: /^Request body is not valid JSON$/ },
    { name: 'invalid JSON (single quotes)', method, path, raw: "{'name': 'x'}", status: 400, message: /JSON/ },
    { name: 'a bare JSON string', method, path, raw: '"hello"', status: 400 },
    { name: 'a bare JSON null', method, path, raw: 'null', status: 400 },
    // An empty JSON body parses as {} — a valid "reset to defaults" for PUT /settings, so POST routes only.
    ...(method === 'post' ? [{ name: 'empty JSON body', method, path, raw: '', status: 400 }] : []),
    { name: 'text/plain body', method, path, raw: JSON.stringify(valid()), contentType: 'text/plain', status: 415, message: /application\/json/ },
    { name: 'form-encoded body', method, path, raw: 'name=x&provider=openai&key=sk-12345678', contentType: 'application/x-www-form-urlencoded', status: 415 },
    { name: 'application/xml body', method, path, raw: '<name>x</name>', contentType: 'application/xml', status: 415 },
    { name: 'JSON with an unsupported charset', method, path, raw: JSON.stringify(valid()), contentType: 'application/json; charset=ebcdic', status: 415 },
  ];

  const bodyRoutes: Array<[string, () => Case[], Method, string, () => Record<string, unknown>]> = [
    ['POST /api/user/api-keys', apiKeyCases, 'post', '/api/user/api-keys', validKey],
    ['POST /api/user/models', modelCases, 'post', '/api/user/models', validModel],
    ['PUT /api/user/settings', settingsCases, 'put', '/api/user/settings', validSettings],
  ];

  // Cases reference `other`, created in before(); build them lazily inside each test.
  for (const [title, fieldCases, method, path, valid] of bodyRoutes) {
    describe(title, () => {
      it('rejects every field-level mistake with 400 naming the field', async () => {
        for (const c of fieldCases()) assertClientError(await send(c), c);
      });

      it('rejects transport-level problems (size, depth, element count, JSON, content type)', async () => {
        for (const c of bodyShapeCases(method, path, valid)) assertClientError(await send(c), c);
      });

      it('the base body is valid, so each case fails on its own mistake only', async () => {
        // One unknown field added: if the base body had any other problem, the message would list it too.
        const res = await send({ name: 'base body + marker', method, path, body: { ...valid(), zz_marker: 1 } });
        assert.equal(res.status, 400);
        assert.equal(res.body.message, 'property zz_marker should not exist');
      });
    });
  }

  it('rejects null for an optional model parameter (settings and custom models)', async () => {
    const third = api.as(await createUser(api, issuer, 'bad-null'));
    const model = await third.post('/api/user/models').send({ ...validModel(), parameters: { temperature: null } });
    const settings = await third.put('/api/user/settings').send({ model_parameters: { max_tokens: null } });
    assertClientError(model, { name: 'models parameters.temperature null', status: 400, message: /temperature/ });
    assertClientError(settings, { name: 'settings model_parameters.max_tokens null', status: 400, message: /max_tokens/ });
  });

  // JSON.parse makes "__proto__" an own property; class-transformer drops it and "constructor" silently (so they
  // are not reported as unknown properties). What matters: no 5xx, no prototype pollution in this (the API's)
  // process, nothing of them stored.
  it('"__proto__" and "constructor" keys neither fail nor pollute prototypes', async () => {
    const third = api.as(await createUser(api, issuer, 'bad-proto'));
    const bodies: Array<[string, string]> = [
      ['/api/user/api-keys', JSON.stringify(validKey()).replace(/^\{/, '{"__proto__":{"isAdmin":true,"provider":"custom"},')],
      ['/api/user/models', JSON.stringify(validModel()).replace(/^\{/, '{"__proto__":{"isAdmin":true},')],
      ['/api/user/models', JSON.stringify({ ...validModel(), parameters: JSON.parse('{"__proto__":{"isAdmin":true}}') })],
      ['/api/user/models', JSON.stringify({ constructor: { prototype: { isAdmin: true } }, ...validModel() })],
    ];
    for (const [path, raw] of bodies) {
      const res = await third.post(path).set('Content-Type', 'application/json').send(raw);
      assert.ok(res.status < 500, `${path}: ${res.status} ${res.text}`);
      assert.equal(({} as Record<string, unknown>).isAdmin, undefined, 'Object.prototype polluted');
      assert.doesNotMatch(res.text, /isAdmin/);
      if (res.status === 201) assert.equal(res.body.provider, 'openrouter');
    }
    const settings = await third
      .put('/api/user/settings')
      .set('Content-Type', 'application/json')
      .send('{"__proto__":{"preferred_model":"openai/gpt-4o"},"model_parameters":{"__proto__":{"temperature":2}}}');
    assert.ok(settings.status < 500, settings.text);
    if (settings.status === 200) assert.deepEqual([settings.body.preferred_model, settings.body.model_parameters], [null, {}]);
  });

  // ---------------------------------------------------------------------------------------------------------
  // :id routes
  const BAD_IDS: Array<[string, string]> = [
    ['abc', 'abc'],
    ['1', '1'],
    ['../etc (encoded)', encodeURIComponent('../etc')],
    ['very long', 'a'.repeat(5000)],
    ['UUID with a bad character', '00000000-0000-0000-0000-00000000000g'],
    ['UUID without dashes', randomUUID().replaceAll('-', '')],
    ['UUID plus suffix', `${randomUUID()}x`],
    ['SQL', encodeURIComponent("1' or '1'='1")],
    ['NUL byte', '%00'],
  ];

  for (const [route, what] of [
    ['/api/user/api-keys', 'API key'],
    ['/api/user/models', 'Custom model'],
  ] as const) {
    describe(`DELETE ${route}/:id`, () => {
      it('answers 400 for ids that are not UUIDs', async () => {
        for (const [label, id] of BAD_IDS) {
          const c: Case = { name: `id ${label}`, method: 'delete', path: `${route}/${id}`, status: 400, message: /id must be a UUID/ };
          assertClientError(await send(c), c);
        }
      });

      it('answers 4xx for a path that escapes the route or is not valid percent-encoding', async () => {
        for (const path of [`${route}/../etc`, `${route}/%E0%A4%A`, `${route}/%FF`]) {
          const c: Case = { name: `raw ${path}`, method: 'delete', path };
          assertClientError(await send(c), c);
        }
      });

      it('answers 404 for a random UUID, the nil UUID and another user\'s record', async () => {
        const otherId = route.endsWith('api-keys') ? otherKeyId : otherModelId;
        for (const id of [randomUUID(), '00000000-0000-0000-0000-000000000000', otherId]) {
          const c: Case = { name: `id ${id}`, method: 'delete', path: `${route}/${id}`, status: 404, message: new RegExp(`^${what} not found$`) };
          assertClientError(await send(c), c);
        }
        // The other user's record is still there.
        const list = await api.as(other).get(route).expect(200);
        assert.ok(list.body.data.some((r: { id: string }) => r.id === otherId), `${what} of the other user was deleted`);
      });
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Query parameters
  for (const route of ['/api/user/api-keys', '/api/user/models']) {
    it(`GET ${route} rejects bad limit/offset and unknown query parameters`, async () => {
      const cases: Array<[string, RegExp]> = [
        ['limit=0', /limit/],
        ['limit=101', /limit/],
        ['limit=abc', /limit/],
        ['limit=-1', /limit/],
        ['limit=1.5', /limit/],
        ['limit=', /limit/],
        ['limit=1&limit=2', /limit/],
        ['offset=-1', /offset/],
        ['offset=abc', /offset/],
        ['offset=10001', /offset/],
        ['offset=1e400', /offset/],
        ['foo=bar', /property foo should not exist/],
        ['user_id=' + randomUUID(), /property user_id should not exist/],
      ];
      for (const [query, message] of cases) {
        const c: Case = { name: `${route}?${query}`, method: 'get', path: `${route}?${query}`, status: 400, message };
        assertClientError(await send(c), c);
      }
    });
  }

  it('GET /api/user/audit rejects bad limit/before/action and unknown query parameters', async () => {
    const cases: Array<[string, RegExp, string?]> = [
      ['limit=0', /limit/],
      ['limit=101', /limit/],
      ['limit=abc', /limit/],
      ['limit=-1', /limit/],
      ['before=0', /before/],
      ['before=abc', /before/],
      ['before=-1', /before/],
      ['before=1.5', /before/],
      ['before=01', /before/],
      ['before=12345678901234567890', /before/],
      [`action=${encodeURIComponent('DROP TABLE')}`, /action/],
      [`action=${encodeURIComponent("api_key.created' or 1=1 --")}`, /action/],
      ['action=API_KEY.CREATED', /action/],
      ['offset=1', /property offset should not exist/],
    ];
    for (const [query, message] of cases) {
      const c: Case = { name: `audit?${query}`, method: 'get', path: `/api/user/audit?${query}`, status: 400, message };
      assertClientError(await send(c), c);
    }
  });

  it('GET /api/user/audit with a cursor beyond the bigint range is a 4xx, not a database error', async () => {
    // 19 digits pass the cursor pattern but 9999999999999999999 > 2^63-1 (PostgreSQL bigint).
    const c: Case = { name: 'before=9999999999999999999', method: 'get', path: '/api/user/audit?before=9999999999999999999' };
    const res = await send(c);
    assertClientError(res, c);
  });

  // ---------------------------------------------------------------------------------------------------------
  // Routes without a body still parse one: a malformed body is a 400 there too.
  it('answers 400 to malformed or oversize bodies on body-less routes', async () => {
    const routes: Array<[Method, string]> = [
      ['get', '/api/user/me'],
      ['get', '/api/user/settings'],
      ['get', '/api/user/api-keys'],
      ['get', '/api/user/models'],
      ['get', '/api/user/audit'],
      ['get', '/api/user/audit/verify'],
      ['delete', `/api/user/api-keys/${randomUUID()}`],
      ['delete', `/api/user/models/${randomUUID()}`],
    ];
    for (const [method, path] of routes) {
      for (const c of [
        { name: `${method} ${path} invalid JSON`, method, path, raw: '{oops', status: 400, message: /JSON/ },
        { name: `${method} ${path} oversize`, method, path, raw: JSON.stringify({ pad: 'z'.repeat(120 * 1024) }), status: 413 },
        { name: `${method} ${path} deep`, method, path, raw: JSON.stringify(nested(50)), status: 400, message: /nested too deeply/ },
      ] satisfies Case[]) {
        assertClientError(await send(c), c);
      }
    }
  });

  // ---------------------------------------------------------------------------------------------------------
  it('lost nothing and created nothing: keys, models, settings and the audit trail are unchanged', async () => {
    const now = await snapshot();
    assert.deepEqual(now, snapshots[0]);
    // The checks above can see a change: a valid request does change the snapshot.
    const probe = await createCustomModel(api, user, 'probe-model');
    assert.notDeepEqual(await snapshot(), snapshots[0]);
    await api.as(user).delete(`/api/user/models/${probe.id}`).expect(204);
  });
});
