import { describe, expect, it } from 'vitest';
import { S3Error } from '../../services/storage/errors.ts';
import { validateBucketName, validateKey } from '../../services/storage/validate.ts';

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(S3Error);
    expect((err as S3Error).status).toBe(400);
    return (err as S3Error).code;
  }
}

describe('validateKey', () => {
  it.each([
    'a',
    'a/b/c.json',
    'models/x/1.json',
    'a..b',
    '..a/b..',
    'a/./b',
    'a//b',
    'ünïcödé/ключ',
    'x'.repeat(1024),
  ])('accepts %s', (key) => expect(codeOf(() => validateKey(key))).toBeUndefined());

  it.each([
    ['', 'InvalidArgument'],
    ['..', 'InvalidArgument'],
    ['../etc/passwd', 'InvalidArgument'],
    ['a/../b', 'InvalidArgument'],
    ['a/..', 'InvalidArgument'],
    ['/abs', 'InvalidArgument'],
    ['a\0b', 'InvalidArgument'],
    ['x'.repeat(1025), 'KeyTooLongError'],
    ['é'.repeat(513), 'KeyTooLongError'],
  ])('rejects %j with %s', (key, code) => expect(codeOf(() => validateKey(key))).toBe(code));
});

describe('validateBucketName', () => {
  it.each(['abc', 'models', 'registry', 'my.bucket-1', 'a'.repeat(63)])('accepts %s', (name) =>
    expect(codeOf(() => validateBucketName(name))).toBeUndefined());
  it.each([
    'ab',
    'a'.repeat(64),
    'Upper',
    'under_score',
    '-start',
    'end-',
    'a..b',
    '192.168.1.1',
    'xn--abc',
    'foo-s3alias',
    '..',
    'a/b',
  ])('rejects %s', (name) => expect(codeOf(() => validateBucketName(name))).toBe('InvalidBucketName'));
});
