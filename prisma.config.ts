import { defineConfig } from 'prisma/config';

// Only `prisma generate` is used: migrations are hand-written SQL applied by libs/db's runner.
export default defineConfig({ schema: 'prisma/schema.prisma', migrations: { path: 'prisma/migrations' } });
