import assert from 'node:assert/strict';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { TOOLS_API_CREDENTIAL_PREFIX } from '@pantheon/crypto';
import { createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool } from '../support/db';
import { startMcpServer, ToolCallRecord } from '../support/mcp-server';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';

/**
 * `/api/projects/:id/mcp`: the owner's MCP clients (the official SDK client here) reach the project's tools
 * API through the platform, with a Keycloak token or a project token; the tools API (a real SDK MCP server on
 * loopback standing in for it) sees only the platform's own credential.
 */
describe('project MCP relay', () => {
  const admin = adminPool();
  let api: TestApi;
  let url: string;
  let issuer: OidcIssuerHandle;
  let tools: Server;
  const calls: ToolCallRecord[] = [];
  let alice: TestUser;
  let bob: TestUser;
  let running: string;
  let queued: string;
  let bobsProject: string;

  const auth = (u: TestUser) => ({ Authorization: `Bearer ${u.token}` });
  const mcpUrl = (projectId: string) => new URL(`${url}/api/projects/${projectId}/mcp`);
  const connect = async (projectId: string, bearer: string) => {
    const client = new Client({ name: 'relay-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(mcpUrl(projectId), { requestInit: { headers: { Authorization: `Bearer ${bearer}` } } }));
    return client;
  };
  const initialize = (projectId: string, headers: Record<string, string>) =>
    fetch(mcpUrl(projectId), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });

  /** A project of `u`, marked running on a free subnet as the worker would. */
  const project = async (u: TestUser, name: string, status = 'running') => {
    const res = await api.http().post('/api/projects').set(auth(u)).send({ name }).expect(202);
    for (let attempt = 0; ; attempt++) {
      const index = 100 + Math.floor(Math.random() * 150);
      try {
        await admin.query(`update projects set status = $2, subnet_index = $3 where id = $1`, [res.body.id, status, index]);
        return res.body.id as string;
      } catch (err) {
        if (attempt > 20) throw err;
      }
    }
  };

  before(async () => {
    issuer = await startOidcIssuer();
    tools = await startMcpServer(calls);
    api = await startTestApi(issuer, {
      TOOLS_MCP_URL_TEMPLATE: `http://127.0.0.1:${(tools.address() as AddressInfo).port}/mcp?tools={tools_ip}`,
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}:mcp-relay`,
    });
    await api.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
    alice = await createUser(api, issuer, 'mcp-alice');
    bob = await createUser(api, issuer, 'mcp-bob');
    running = await project(alice, 'mcp running');
    queued = await project(alice, 'mcp queued', 'queued');
    bobsProject = await project(bob, 'mcp bob');
  });

  after(async () => {
    await api?.close();
    await new Promise((r) => tools?.close(r));
    await issuer?.stop();
    await admin.end();
  });

  it("lists and calls the project's tools with the owner's Keycloak token; the tools API sees the platform's credential", async () => {
    calls.length = 0;
    const client = await connect(running, alice.token);
    try {
      const { tools: listed } = await client.listTools();
      assert.deepEqual(listed.map((t) => t.name), ['get_weather']);
      const result = await client.callTool({ name: 'get_weather', arguments: { city: 'Lyon' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'sunny in Lyon' }]);
    } finally {
      await client.close();
    }
    assert.equal(calls.length, 1);
    assert.ok(calls[0].auth?.startsWith(`Bearer ${TOOLS_API_CREDENTIAL_PREFIX}`), 'the tools credential, not the caller token');
    assert.ok(!calls[0].auth?.includes(alice.token));
  });

  it('accepts a project token of this project, and refuses one of another project', async () => {
    const mine = await api.http().post(`/api/projects/${running}/tokens`).set(auth(alice)).send({ name: 'mcp' }).expect(201);
    const client = await connect(running, mine.body.token);
    try {
      const result = await client.callTool({ name: 'get_weather', arguments: { city: 'Oslo' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'sunny in Oslo' }]);
    } finally {
      await client.close();
    }
    const other = await api.http().post(`/api/projects/${bobsProject}/tokens`).set(auth(bob)).send({ name: 'mcp' }).expect(201);
    const refused = await initialize(running, { Authorization: `Bearer ${other.body.token}` });
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as { message: string }).message, /another project/);
  });

  it("refuses no credential (401), a forged project token (401), another user's project (404) and a project that is not running (409)", async () => {
    calls.length = 0;
    assert.equal((await initialize(running, {})).status, 401);
    assert.equal((await initialize(running, { Authorization: `Bearer pt_${'x'.repeat(43)}` })).status, 401);
    const foreign = await initialize(bobsProject, auth(alice));
    assert.equal(foreign.status, 404);
    assert.match(((await foreign.json()) as { message: string }).message, /not found/i);
    const notRunning = await initialize(queued, auth(alice));
    assert.equal(notRunning.status, 409);
    assert.match(((await notRunning.json()) as { message: string }).message, /not running/);
    assert.equal((await initialize('not-a-uuid', auth(alice))).status, 400);
    assert.equal(calls.length, 0, 'nothing reached the tools API');
  });
});
