import type { Page } from './provider-key.repository';

/**
 * One page of a list and the list's total. The count query runs only when the page cannot tell: a page that is
 * not full ends the list (total = offset + its length) unless it is empty past the first page. Most users' lists
 * fit one page, so most list requests make one query instead of two.
 */
export async function pageWithTotal<T>(page: Page, rows: () => Promise<T[]>, count: () => Promise<number>): Promise<{ items: T[]; total: number }> {
  const items = await rows();
  if (items.length < page.limit && (items.length > 0 || page.offset === 0)) return { items, total: page.offset + items.length };
  return { items, total: await count() };
}
