import { randomBytes } from 'node:crypto';
import type { OidcIssuerHandle } from '../support/oidc';
import type { TestApi } from '../support/api';

/** A fresh OIDC test user name (the dev issuer accepts any `test-…` user). */
export function testUsername(prefix = 'u'): string {
  return `test-${prefix}-${randomBytes(5).toString('hex')}`;
}

export interface TestUser {
  username: string;
  token: string;
  /** users.id, known after the first authenticated request. */
  id: string;
}

/** A new user with the platform role, already known to the API (its row exists). */
export async function createUser(api: TestApi, issuer: OidcIssuerHandle, prefix = 'u'): Promise<TestUser> {
  const username = testUsername(prefix);
  const token = await issuer.token(username);
  const res = await api.as({ token }).get('/api/user/me').expect(200);
  return { username, token, id: (res.body as { id: string }).id };
}

/** A provider-key-shaped secret that is unique and easy to search for. */
export function canaryKey(label = 'canary'): string {
  return `sk-${label}-${randomBytes(18).toString('hex')}`;
}

export async function createApiKey(
  api: TestApi,
  user: TestUser,
  body: Partial<{ name: string; provider: string; key: string; base_url: string }> = {},
): Promise<{ id: string; key: string; body: Record<string, unknown> }> {
  const key = body.key ?? canaryKey();
  const res = await api
    .as(user)
    .post('/api/user/api-keys')
    .send({ name: body.name ?? `key-${randomBytes(3).toString('hex')}`, provider: body.provider ?? 'openrouter', key, ...(body.base_url ? { base_url: body.base_url } : {}) })
    .expect(201);
  return { id: res.body.id, key, body: res.body };
}

export async function createCustomModel(api: TestApi, user: TestUser, modelId = `m-${randomBytes(3).toString('hex')}`) {
  const res = await api
    .as(user)
    .post('/api/user/models')
    .send({ provider: 'openrouter', model_id: modelId, display_name: `Model ${modelId}` })
    .expect(201);
  return res.body as { id: string; model_id: string };
}

export interface CreateProjectOptions {
  /** Default: a fresh `p-…` name. */
  name?: string;
  vm?: Partial<{ ram_gb: number; cpu_cores: number; disk_gb: number; windows_version: string }>;
  idempotencyKey?: string;
  /** The status the response must have (default 202, queued). */
  status?: number;
}

/** POST /api/projects as `user`; resolves with the response body once its status is `opts.status`. */
export async function createProject(api: TestApi, user: { token: string }, opts: CreateProjectOptions = {}) {
  let req = api.as(user).post('/api/projects');
  if (opts.idempotencyKey !== undefined) req = req.set('Idempotency-Key', opts.idempotencyKey);
  const body = { name: opts.name ?? `p-${randomBytes(4).toString('hex')}`, ...(opts.vm ? { vm: opts.vm } : {}) };
  const res = await req.send(body).expect(opts.status ?? 202);
  return res.body;
}
