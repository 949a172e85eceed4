// Inference's signed GET against the real storage service, with objects written by the real AWS SDK: the bytes
// come back exactly, and a missing key or a wrong secret is an error naming the storage's answer.
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeObjectReader } from '../../services/inference/object-reader.ts';
import { startTestStorage, type TestStorage } from '../helpers/storage.ts';

let storage: TestStorage;
const body = randomBytes(300_000);
const key = 'penguins/ab12 cd+é/model.json';

beforeAll(async () => {
  storage = await startTestStorage();
  await storage.s3.send(new CreateBucketCommand({ Bucket: 'models' }));
  await storage.s3.send(new PutObjectCommand({ Bucket: 'models', Key: key, Body: body }));
});
afterAll(async () => {
  await storage?.close();
});

describe('makeObjectReader', () => {
  it('reads an object the SDK wrote, byte for byte, even with spaces, plus signs and non-ASCII in the key', async () => {
    const got = await makeObjectReader(storage).get('models', key);
    expect(got.equals(body)).toBe(true);
  });

  it('names the storage error for a missing key', async () => {
    await expect(makeObjectReader(storage).get('models', 'nope/model.json')).rejects.toThrow(/HTTP 404 NoSuchKey/);
  });

  it('is refused with a wrong secret', async () => {
    const reader = makeObjectReader({ ...storage, secretKey: 'wrong' });
    await expect(reader.get('models', key)).rejects.toThrow(/HTTP 403 SignatureDoesNotMatch/);
  });

  it('stops when its signal aborts', async () => {
    await expect(makeObjectReader(storage).get('models', key, AbortSignal.abort())).rejects.toThrow(/abort/i);
  });
});
