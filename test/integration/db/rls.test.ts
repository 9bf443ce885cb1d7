import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { adminPool, appPool, asAppUser, requiredEnv, tryQuery } from '../../support/db';

/**
 * Row-level security, checked directly as the application role (pantheon_app), the way the API connects.
 * Each tenant table declares how to insert a row for a user and which column owns it.
 */
interface TenantTable {
  table: string;
  owner: string;
  /** Inserts one row for user $1; returns nothing. */
  insert: string;
  /** Column safe to update for the UPDATE check. */
  touch: string;
  /** audit_log is append-only: UPDATE/DELETE are not even granted. */
  appendOnly?: boolean;
  /** History is immutable: UPDATE is not granted (DELETE is). */
  noUpdate?: boolean;
  /** Inserts that reference the user's project take it as $2. */
  needsProject?: boolean;
  /** project_id may be NULL (a row about no project). */
  projectOptional?: boolean;
}

const TABLES: TenantTable[] = [
  { table: 'users', owner: 'id', insert: '', touch: 'name' },
  {
    table: 'projects', owner: 'owner_id', touch: 'token_budget',
    insert: `insert into projects (owner_id, name) values ($1, 'p-' || substr(md5(random()::text), 1, 6))`,
  },
  {
    table: 'provider_keys', owner: 'user_id', touch: 'name',
    insert: `insert into provider_keys (user_id, name, provider, ciphertext, key_version, last4, fingerprint)
             values ($1, 'k-' || substr(md5(random()::text), 1, 6), 'openai', '\\x00', 1, 'abcd', 'sha256:0')`,
  },
  {
    table: 'user_settings', owner: 'user_id', touch: 'preferred_model',
    insert: `insert into user_settings (user_id, preferred_model) values ($1, 'openai/gpt-4o')`,
  },
  {
    table: 'custom_models', owner: 'user_id', touch: 'display_name',
    insert: `insert into custom_models (user_id, provider, model_id, display_name)
             values ($1, 'openai', 'm-' || substr(md5(random()::text), 1, 6), 'M')`,
  },
  {
    table: 'audit_log', owner: 'user_id', touch: 'action', appendOnly: true,
    insert: `insert into audit_log (user_id, seq, action, hash) values ($1, 0, 'test.seeded', '\\x')`,
  },
  {
    table: 'project_tokens', owner: 'user_id', touch: 'revoked_at', needsProject: true,
    insert: `insert into project_tokens (user_id, project_id, name, token_hash, prefix, expires_at)
             values ($1, $2, 't', sha256(gen_random_uuid()::text::bytea), 'pt_', now() + interval '1 day')`,
  },
  {
    table: 'chat_messages', owner: 'user_id', touch: 'content', needsProject: true, projectOptional: true, noUpdate: true,
    insert: `insert into chat_messages (user_id, project_id, role, content) values ($1, $2, 'user', 'hello')`,
  },
  {
    table: 'usage_events', owner: 'user_id', touch: 'model', appendOnly: true, needsProject: true, projectOptional: true,
    insert: `insert into usage_events (user_id, project_id, source, provider, model, status) values ($1, $2, 'chat', 'openai', 'm', 'ok')`,
  },
  {
    table: 'project_gateway_settings', owner: 'user_id', touch: 'default_model', needsProject: true,
    insert: `insert into project_gateway_settings (user_id, project_id, default_model) values ($1, $2, 'openai/gpt-4o') on conflict (project_id) do nothing`,
  },
  {
    table: 'budget_reservations', owner: 'user_id', touch: 'tokens', noUpdate: true, needsProject: true, projectOptional: true,
    insert: `insert into budget_reservations (user_id, project_id, tokens, expires_at) values ($1, $2, 10, now() + interval '1 hour')`,
  },
];

describe('row-level security as pantheon_app', () => {
  const admin = adminPool();
  const app = appPool();
  const userA = randomUUID();
  const userB = randomUUID();
  const projectOf: Record<string, string> = {};
  const params = (t: TenantTable, user: string) => (t.needsProject ? [user, projectOf[user]] : [user]);

  before(async () => {
    // Seeded as the superuser, which bypasses RLS.
    for (const id of [userA, userB]) {
      await admin.query('insert into users (id, keycloak_sub, email) values ($1, $2, $3)', [id, `sub-${id}`, `${id}@test.local`]);
      for (const t of TABLES) {
        if (t.insert) await admin.query(t.insert, params(t, id));
        if (t.table === 'projects') {
          const { rows } = await admin.query('select id from projects where owner_id = $1 limit 1', [id]);
          projectOf[id] = rows[0].id;
        }
      }
    }
  });
  after(async () => {
    await app.end();
    await admin.end();
  });

  it('connects as a role that is not superuser, not table owner and has no BYPASSRLS', async () => {
    const { rows } = await app.query(
      `select r.rolsuper, r.rolbypassrls, current_user as me,
              (select count(*)::int from pg_tables where schemaname = 'public' and tableowner = current_user) as owned
       from pg_roles r where r.rolname = current_user`,
    );
    assert.deepEqual(rows[0], { rolsuper: false, rolbypassrls: false, me: 'pantheon_app', owned: 0 });
  });

  it('has ENABLE and FORCE row level security and a policy on every tenant table', async () => {
    const { rows } = await admin.query(
      `select c.relname, c.relrowsecurity, c.relforcerowsecurity,
              (select count(*)::int from pg_policies p where p.tablename = c.relname and 'pantheon_app' = any(p.roles)) as policies
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind = 'r' and c.relname = any($1)`,
      [TABLES.map((t) => t.table)],
    );
    assert.equal(rows.length, TABLES.length);
    for (const r of rows) {
      assert.equal(r.relrowsecurity, true, `${r.relname} ENABLE RLS`);
      assert.equal(r.relforcerowsecurity, true, `${r.relname} FORCE RLS`);
      assert.ok(r.policies >= 1, `${r.relname} has a policy for pantheon_app`);
    }
  });

  it('covers every table that has a user-owned column (no tenant table is forgotten)', async () => {
    const { rows } = await admin.query(
      `select distinct table_name from information_schema.columns
       where table_schema = 'public' and column_name in ('user_id', 'owner_id')`,
    );
    const covered = new Set(TABLES.map((t) => t.table));
    for (const r of rows) assert.ok(covered.has(r.table_name), `${r.table_name} must be in the RLS matrix`);
  });

  for (const t of TABLES) {
    describe(t.table, () => {
      it("shows only the scoped user's rows", async () => {
        await asAppUser(app, userA, async (c) => {
          const mine = await c.query(`select count(*)::int as n from ${t.table} where ${t.owner} = $1`, [userA]);
          const theirs = await c.query(`select count(*)::int as n from ${t.table} where ${t.owner} = $1`, [userB]);
          const all = await c.query(`select distinct ${t.owner}::text as o from ${t.table}`);
          assert.ok(mine.rows[0].n >= 1, 'own rows are visible');
          assert.equal(theirs.rows[0].n, 0, "another user's rows are invisible");
          assert.deepEqual(all.rows.map((r) => r.o), [userA]);
        });
      });

      it("cannot update or delete another user's rows", async () => {
        await asAppUser(app, userA, async (c) => {
          const upd = await tryQuery(c, `update ${t.table} set ${t.touch} = ${t.touch} where ${t.owner} = $1`, [userB]);
          const del = await tryQuery(c, `delete from ${t.table} where ${t.owner} = $1`, [userB]);
          if (t.appendOnly) {
            assert.equal(upd.error?.code, '42501', 'UPDATE is not granted');
            assert.equal(del.error?.code, '42501', 'DELETE is not granted');
          } else if (t.noUpdate) {
            assert.equal(upd.error?.code, '42501', 'UPDATE is not granted');
            assert.equal(del.rowCount, 0);
          } else if (t.table === 'users') {
            assert.equal(upd.rowCount, 0);
            assert.equal(del.error?.code, '42501', 'DELETE on users is not granted');
          } else {
            assert.equal(upd.error, undefined);
            assert.equal(upd.rowCount, 0);
            assert.equal(del.rowCount, 0);
          }
        });
        const left = await admin.query(`select count(*)::int as n from ${t.table} where ${t.owner} = $1`, [userB]);
        assert.ok(left.rows[0].n >= 1, "B's rows are still there");
      });

      it('refuses to insert a row owned by another user', async () => {
        await asAppUser(app, userA, async (c) => {
          const sql = t.table === 'users'
            ? `insert into users (id, keycloak_sub) values ($1::uuid, 'forged-' || $1::text)`
            : t.insert;
          const res = await tryQuery(c, sql, t.table === 'users' ? [userB] : params(t, userB));
          assert.equal(res.error?.code, '42501', `expected an RLS violation, got ${JSON.stringify(res)}`);
          assert.match(res.error!.message, /row-level security/);
        });
      });

      it('shows nothing without app.user_id', async () => {
        await asAppUser(app, null, async (c) => {
          const { rows } = await c.query(`select count(*)::int as n from ${t.table}`);
          assert.equal(rows[0].n, 0);
        });
      });
    });
  }

  describe("rows naming a project (project_tokens, chat_messages, usage_events, budget_reservations)", () => {
    for (const t of TABLES.filter((x) => x.needsProject)) {
      it(`${t.table}: user A cannot insert a row naming user B's project`, async () => {
        await asAppUser(app, userA, async (c) => {
          const forged = await tryQuery(c, t.insert, [userA, projectOf[userB]]);
          assert.equal(forged.error?.code, '42501', `expected an RLS violation, got ${JSON.stringify(forged)}`);
          assert.match(forged.error!.message, /row-level security/);
          assert.equal((await tryQuery(c, t.insert, [userA, projectOf[userA]])).error, undefined, 'own project is fine');
          const none = await tryQuery(c, t.insert, [userA, null]);
          if (t.projectOptional) assert.equal(none.error, undefined, 'no project is fine where the column is nullable');
          else assert.ok(['42501', '23502'].includes(none.error?.code ?? ''), `project_id is required: ${JSON.stringify(none)}`);
        });
      });
    }
  });

  describe('subnet_leases', () => {
    const leased: number[] = [];
    before(async () => {
      for (const id of [userA, userB]) {
        const { rows } = await admin.query(
          `insert into subnet_leases (subnet_index, project_id)
           select i, $1 from generate_series(1, 254) i where not exists (select 1 from subnet_leases l where l.subnet_index = i)
           order by i desc limit 1 returning subnet_index`,
          [projectOf[id]],
        );
        leased.push(rows[0].subnet_index);
      }
    });
    after(() => admin.query('delete from subnet_leases where subnet_index = any($1)', [leased]));

    it('shows every taken index but no tenant project ids', async () => {
      await asAppUser(app, userA, async (c) => {
        const taken = await c.query('select subnet_index from subnet_leases where subnet_index = any($1) order by 1', [leased]);
        assert.deepEqual(taken.rows.map((r) => r.subnet_index), [...leased].sort((a, b) => a - b), "another tenant's index is visible as taken");
        for (const sql of ['select project_id from subnet_leases', 'select * from subnet_leases', 'select count(*) from subnet_leases where project_id is not null']) {
          assert.equal((await tryQuery(c, sql)).error?.code, '42501', sql);
        }
      });
    });
  });

  describe('platform_project_usage() (capacity totals across tenants)', () => {
    it('gives the app role totals over every tenant, never rows, and leaves it seeing only its own projects', async () => {
      const { rows: expected } = await admin.query(
        `select count(*)::int as projects, coalesce(sum((vm_spec->>'ram_gb')::bigint), 0)::bigint as ram_gb
         from projects where deleted_at is null and subnet_index is not null`);
      await asAppUser(app, userA, async (c) => {
        const { rows, fields } = await c.query('select * from platform_project_usage()');
        assert.deepEqual(fields.map((f) => f.name), ['projects', 'ram_gb', 'cpu_cores'], 'aggregates only: no ids, no owners');
        assert.equal(rows.length, 1);
        assert.deepEqual([rows[0].projects, rows[0].ram_gb], [expected[0].projects, expected[0].ram_gb]);
        const visible = await c.query('select count(*)::int as n from projects where owner_id <> $1', [userA]);
        assert.equal(visible.rows[0].n, 0, "after the call, other tenants' projects are still invisible");
        const flag = await c.query(`select current_setting('app.capacity_scan', true) as v`);
        assert.notEqual(flag.rows[0].v, 'on', 'the scan flag does not outlive the call');
      });
    });

    it('counts a project of another tenant once it holds a lease', async () => {
      await asAppUser(app, userA, async (c) => {
        const before = (await c.query('select projects from platform_project_usage()')).rows[0].projects as number;
        await admin.query(`update projects set vm_spec = '{"ram_gb": 4, "cpu_cores": 2}' where id = $1`, [projectOf[userB]]);
        const { rows } = await admin.query(
          `insert into subnet_leases (subnet_index, project_id)
           select i, $1 from generate_series(1, 254) i where not exists (select 1 from subnet_leases l where l.subnet_index = i)
           order by i desc limit 1 returning subnet_index`, [projectOf[userB]]);
        await admin.query('update projects set subnet_index = $2 where id = $1', [projectOf[userB], rows[0].subnet_index]);
        try {
          const after = (await c.query('select projects from platform_project_usage()')).rows[0].projects as number;
          assert.equal(after, before + 1);
        } finally {
          await admin.query('update projects set subnet_index = null where id = $1', [projectOf[userB]]);
          await admin.query('delete from subnet_leases where project_id = $1', [projectOf[userB]]);
        }
      });
    });

    it('is the only way in: the worker role may not call it, and the owner role sees no rows outside it', async () => {
      const grants = await admin.query(
        `select r.rolname, has_function_privilege(r.rolname, 'platform_project_usage()', 'execute') as can
         from pg_roles r where r.rolname in ('pantheon_app', 'pantheon_worker') order by 1`);
      assert.deepEqual(grants.rows, [{ rolname: 'pantheon_app', can: true }, { rolname: 'pantheon_worker', can: false }]);
      // The function reads as the owner; outside it, FORCE RLS still shows the owner role no tenant rows.
      const owner = new Pool({ connectionString: requiredEnv('DATABASE_MIGRATION_URL'), max: 1 });
      try {
        assert.equal((await owner.query('select count(*)::int as n from projects')).rows[0].n, 0);
      } finally {
        await owner.end();
      }
    });
  });

  it('lets pantheon_app update only the project columns the API writes', async () => {
    await asAppUser(app, userA, async (c) => {
      const own = projectOf[userA];
      for (const col of ['status', 'progress_step', 'subnet_index', 'token_budget', 'updated_at']) {
        assert.equal((await tryQuery(c, `update projects set ${col} = ${col} where id = $1`, [own])).rowCount, 1, col);
      }
      for (const [col, value] of [['last_error', `'forged'`], ['progress', '100'], ['attempts', '0'], ['deleted_at', 'now()'], ['owner_id', 'owner_id'], ['name', `'renamed'`], ['vm_spec', `'{}'`]]) {
        const res = await tryQuery(c, `update projects set ${col} = ${value} where id = $1`, [own]);
        assert.equal(res.error?.code, '42501', `UPDATE (${col}) must not be granted`);
      }
    });
  });

  it("lets pantheon_app issue only user and vm tokens (never the worker's tools kind), and change only revoked_at / last_used_at", async () => {
    await asAppUser(app, userA, async (c) => {
      const issue = (kind: string) => tryQuery(c,
        `insert into project_tokens (user_id, project_id, kind, name, token_hash, prefix, expires_at)
         values ($1, $2, $3, 'tools-api', sha256(gen_random_uuid()::text::bytea), 'pt_', now() + interval '1 day')`,
        [userA, projectOf[userA], kind]);
      const forged = await issue('tools');
      assert.equal(forged.error?.code, '42501', JSON.stringify(forged));
      assert.equal((await issue('user')).error, undefined);
      assert.equal((await issue('vm')).error, undefined, "the VM's gateway token, issued at the tools API's request");
      assert.notEqual((await issue('other')).error, undefined, 'the kind is checked');
      assert.equal((await tryQuery(c, `update project_tokens set kind = 'tools' where user_id = $1`, [userA])).error?.code, '42501');
      assert.equal((await tryQuery(c, `update project_tokens set revoked_at = now() where user_id = $1`, [userA])).error, undefined);
    });
  });

  it('keeps app.user_id transaction-local: a reused pooled connection forgets it', async () => {
    const single = appPool();
    try {
      const client = await single.connect();
      try {
        await client.query('begin');
        await client.query(`select set_config('app.user_id', $1, true)`, [userA]);
        const inside = await client.query('select count(*)::int as n from provider_keys');
        await client.query('commit');
        const outside = await client.query('select count(*)::int as n from provider_keys');
        const setting = await client.query(`select current_setting('app.user_id', true) as v`);
        assert.ok(inside.rows[0].n >= 1);
        assert.equal(outside.rows[0].n, 0);
        assert.ok(!setting.rows[0].v, 'setting is gone after commit');
      } finally {
        client.release();
      }
    } finally {
      await single.end();
    }
  });

  it('makes audit_log append-only and hash-chained for the app role', async () => {
    await asAppUser(app, userA, async (c) => {
      await c.query(`insert into audit_log (user_id, seq, action, hash) values ($1, 0, 'test.one', '\\x')`, [userA]);
      await c.query(`insert into audit_log (user_id, seq, action, hash) values ($1, 0, 'test.two', '\\x')`, [userA]);
      const { rows } = await c.query(
        'select seq, prev_hash, hash from audit_log where user_id = $1 order by seq', [userA]);
      for (let i = 1; i < rows.length; i++) {
        assert.equal(BigInt(rows[i].seq), BigInt(rows[i - 1].seq) + 1n);
        assert.deepEqual(rows[i].prev_hash, rows[i - 1].hash, 'each row links to the previous hash');
      }
      const verify = await c.query('select audit_log_first_broken($1) as broken', [userA]);
      assert.equal(verify.rows[0].broken, null);
      const upd = await tryQuery(c, `update audit_log set action = 'forged' where user_id = $1`, [userA]);
      assert.equal(upd.error?.code, '42501');
    }, { commit: true });
    // Tampering (only possible for a superuser) is detected by the chain check.
    await admin.query(`update audit_log set action = 'tampered' where user_id = $1 and seq = 2`, [userA]);
    const { rows } = await admin.query('select audit_log_first_broken($1) as broken', [userA]);
    assert.equal(rows[0].broken, '2');
  });
});
