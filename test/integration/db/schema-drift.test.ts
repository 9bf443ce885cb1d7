import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { getDMMF } from '@prisma/internals';
import { adminPool } from '../../support/db';
import { findRepoRoot } from '../../support/oidc';

/** Prisma scalar type (+ native type) → information_schema data_type. */
function expectedSqlType(type: string, nativeType: [string, string[]] | null | undefined): string {
  const native = nativeType?.[0];
  if (native === 'Uuid') return 'uuid';
  if (native === 'Timestamptz') return 'timestamp with time zone';
  if (native === 'SmallInt') return 'smallint';
  if (native === 'Decimal') return 'numeric';
  const byType: Record<string, string> = {
    String: 'text',
    Int: 'integer',
    BigInt: 'bigint',
    Boolean: 'boolean',
    Json: 'jsonb',
    Bytes: 'bytea',
    DateTime: 'timestamp without time zone',
    Float: 'double precision',
    Decimal: 'numeric',
  };
  return byType[type] ?? `unknown:${type}`;
}

/**
 * The SQL migrations are the source of truth for the database; prisma/schema.prisma must describe exactly
 * the same tables and columns (name, type, nullability) so the generated client never drifts.
 */
describe('prisma/schema.prisma matches the migrated database', () => {
  const admin = adminPool();
  after(() => admin.end());

  it('has the same tables, columns, types and nullability', async () => {
    const dmmf = await getDMMF({ datamodel: readFileSync(join(findRepoRoot(), 'prisma/schema.prisma'), 'utf8') });
    const fromPrisma = new Map<string, string>();
    for (const model of dmmf.datamodel.models) {
      const table = model.dbName ?? model.name;
      for (const f of model.fields) {
        if (f.kind === 'object') continue;
        const nativeType = f.nativeType as [string, string[]] | null | undefined;
        fromPrisma.set(`${table}.${f.dbName ?? f.name}`, `${expectedSqlType(f.type, nativeType)}${f.isRequired ? ' not null' : ''}`);
      }
    }
    const { rows } = await admin.query(
      `select table_name, column_name, data_type, is_nullable from information_schema.columns
       where table_schema = 'public' and table_name <> '_prisma_migrations'`,
    );
    const fromDb = new Map<string, string>(
      rows.map((r) => [`${r.table_name}.${r.column_name}`, `${r.data_type}${r.is_nullable === 'NO' ? ' not null' : ''}`]),
    );
    const missingInDb = [...fromPrisma.keys()].filter((k) => !fromDb.has(k));
    const missingInPrisma = [...fromDb.keys()].filter((k) => !fromPrisma.has(k));
    const differing = [...fromPrisma].filter(([k, v]) => fromDb.has(k) && fromDb.get(k) !== v).map(([k, v]) => `${k}: prisma ${v}, db ${fromDb.get(k)}`);
    assert.deepEqual({ missingInDb, missingInPrisma, differing }, { missingInDb: [], missingInPrisma: [], differing: [] });
    assert.ok(fromPrisma.size > 40, 'the comparison covered the schema');
  });

  it('declares the same unique constraints', async () => {
    const dmmf = await getDMMF({ datamodel: readFileSync(join(findRepoRoot(), 'prisma/schema.prisma'), 'utf8') });
    const prismaUniques = new Set<string>();
    for (const model of dmmf.datamodel.models) {
      const table = model.dbName ?? model.name;
      const col = (name: string) => model.fields.find((f) => f.name === name)?.dbName ?? name;
      for (const f of model.fields) if (f.isUnique) prismaUniques.add(`${table}(${col(f.name)})`);
      for (const u of model.uniqueFields) prismaUniques.add(`${table}(${u.map(col).join(',')})`);
    }
    const { rows } = await admin.query(
      `select tc.table_name, string_agg(kcu.column_name, ',' order by kcu.ordinal_position) as cols
       from information_schema.table_constraints tc
       join information_schema.key_column_usage kcu on kcu.constraint_name = tc.constraint_name and kcu.table_name = tc.table_name
       where tc.table_schema = 'public' and tc.constraint_type = 'UNIQUE'
       group by tc.table_name, tc.constraint_name`,
    );
    const dbUniques = new Set(rows.map((r) => `${r.table_name}(${r.cols})`));
    assert.deepEqual([...prismaUniques].sort(), [...dbUniques].sort());
  });
});
