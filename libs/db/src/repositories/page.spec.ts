import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pageWithTotal } from './page';

describe('pageWithTotal', () => {
  const list = Array.from({ length: 7 }, (_, i) => i);
  async function run(limit: number, offset: number) {
    let counted = 0;
    const result = await pageWithTotal(
      { limit, offset },
      async () => list.slice(offset, offset + limit),
      async () => {
        counted++;
        return list.length;
      },
    );
    return { ...result, counted };
  }

  it('takes the total from a page that is not full, without counting', async () => {
    assert.deepEqual(await run(20, 0), { items: list, total: 7, counted: 0 });
    assert.deepEqual(await run(5, 5), { items: [5, 6], total: 7, counted: 0 });
  });

  it('counts when the page is full or empty past the start', async () => {
    assert.deepEqual(await run(5, 0), { items: [0, 1, 2, 3, 4], total: 7, counted: 1 });
    assert.deepEqual(await run(7, 0), { items: list, total: 7, counted: 1 });
    assert.deepEqual(await run(5, 10), { items: [], total: 7, counted: 1 });
  });

  it('an empty first page is an empty list', async () => {
    const r = await pageWithTotal({ limit: 5, offset: 0 }, async () => [], async () => 99);
    assert.deepEqual(r, { items: [], total: 0 });
  });
});
