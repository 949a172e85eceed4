import { describe, expect, it } from 'vitest';
import { S3Error } from '../../services/storage/errors.ts';
import { compareKeys, type ListParams, listPage, listPageXml } from '../../services/storage/listing.ts';
import type { ObjectMeta } from '../../services/storage/object-file.ts';

const meta = (key: string): ObjectMeta => ({
  key,
  etag: '"d41d8cd98f00b204e9800998ecf8427e"',
  size: 0,
  lastModified: '2026-01-01T00:00:00.000Z',
  contentType: 'application/octet-stream',
});
const objects = (keys: string[]) => keys.map(meta).sort((a, b) => compareKeys(a.key, b.key));
const params = (p: Partial<ListParams>): ListParams => ({ prefix: '', maxKeys: 1000, ...p });

/** Follows continuation tokens to the end; returns every page's keys and prefixes. */
function allPages(sorted: ObjectMeta[], p: ListParams): string[][] {
  const pages: string[][] = [];
  let token: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = listPage(sorted, { ...p, continuationToken: token });
    pages.push([...page.contents.map((o) => o.key), ...page.commonPrefixes.map((c) => `${c}*`)]);
    if (!page.isTruncated) return pages;
    token = page.nextContinuationToken;
    expect(token).toBeTypeOf('string');
  }
  throw new Error('pagination did not end');
}

describe('listPage', () => {
  const sorted = objects(['a/1', 'a/2', 'a/3', 'b/1', 'b/2/x', 'c', 'd']);

  it('orders by UTF-8 bytes, not UTF-16 units', () => {
    // U+FF5E (3 UTF-8 bytes, 0xEF...) sorts before U+1F600 (4 bytes, 0xF0...) in UTF-8, but after it in UTF-16.
    const keys = objects(['😀', '～']).map((o) => o.key);
    expect(keys).toEqual(['～', '😀']);
  });

  it('pages through every key exactly once with continuation tokens', () => {
    expect(allPages(sorted, params({ maxKeys: 3 }))).toEqual([['a/1', 'a/2', 'a/3'], ['b/1', 'b/2/x', 'c'], ['d']]);
    expect(allPages(sorted, params({ maxKeys: 7 }))).toEqual([['a/1', 'a/2', 'a/3', 'b/1', 'b/2/x', 'c', 'd']]);
  });

  it('filters by prefix and starts after start-after', () => {
    expect(allPages(sorted, params({ prefix: 'a/', maxKeys: 2 }))).toEqual([['a/1', 'a/2'], ['a/3']]);
    expect(allPages(sorted, params({ startAfter: 'b/1' }))).toEqual([['b/2/x', 'c', 'd']]);
    expect(allPages(sorted, params({ startAfter: 'zzz' }))).toEqual([[]]);
  });

  it('rolls keys up into common prefixes with a delimiter, also across pages', () => {
    expect(allPages(sorted, params({ delimiter: '/' }))).toEqual([['c', 'd', 'a/*', 'b/*']]);
    expect(allPages(sorted, params({ delimiter: '/', maxKeys: 1 }))).toEqual([['a/*'], ['b/*'], ['c'], ['d']]);
    expect(allPages(sorted, params({ prefix: 'b/', delimiter: '/' }))).toEqual([['b/1', 'b/2/*']]);
  });

  it('returns nothing and is not truncated for max-keys 0', () => {
    const page = listPage(sorted, params({ maxKeys: 0 }));
    expect(page).toEqual({ contents: [], commonPrefixes: [], isTruncated: false });
  });

  it('rejects a forged continuation token', () => {
    expect(() => listPage(sorted, params({ continuationToken: 'not-a-token' }))).toThrow(S3Error);
  });

  it('renders S3 XML with escaped keys and quoted ETags', () => {
    const p = params({ maxKeys: 1 });
    const xml = listPageXml('bkt', p, listPage(objects(['a&b<c>', 'z']), p));
    expect(xml).toContain('<Key>a&amp;b&lt;c&gt;</Key>');
    expect(xml).toContain('<ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag>');
    expect(xml).toContain('<KeyCount>1</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>true</IsTruncated>');
    expect(xml).toMatch(/<NextContinuationToken>[\w-]+<\/NextContinuationToken>/);
  });
});
