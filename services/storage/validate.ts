// Names that reach the filesystem or the XML are checked here first, so later code can trust them.
import { errors } from './errors.ts';

const MAX_KEY_BYTES = 1024;

/** S3's bucket naming rules (general purpose buckets). Throws InvalidBucketName with the broken rule. */
export function validateBucketName(name: string): void {
  const bad = (why: string) => errors.invalidBucketName(`${JSON.stringify(name)} ${why}`);
  if (name.length < 3 || name.length > 63) throw bad('must be 3 to 63 characters long');
  if (!/^[a-z0-9.-]+$/.test(name)) throw bad('may contain only lowercase letters, digits, dots and hyphens');
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) throw bad('must begin and end with a letter or digit');
  if (name.includes('..')) throw bad('must not contain two adjacent dots');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) throw bad('must not be formatted as an IP address');
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name) || /(-s3alias|--ol-s3|--x-s3)$/.test(name)) {
    throw bad('uses a prefix or suffix reserved by S3');
  }
}

/**
 * Object keys are opaque to S3, but ours are also refused when they look like path tricks, so nothing that
 * later maps keys to files, URLs or archive paths can be steered by one: no NUL, no leading '/', no '..' segment.
 */
export function validateKey(key: string): void {
  if (key.length === 0) throw errors.invalidArgument('the object key must not be empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw errors.keyTooLong();
  if (key.includes('\0')) throw errors.invalidArgument('the object key must not contain a NUL character');
  if (key.startsWith('/')) throw errors.invalidArgument("the object key must not start with '/'");
  if (key.split('/').includes('..')) throw errors.invalidArgument("the object key must not contain a '..' segment");
}
