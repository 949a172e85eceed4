// Reads one object from our S3-compatible storage: a SigV4-signed GET (the signer is the one the AWS SDK uses,
// @smithy/signature-v4) over fetch. Inference needs nothing else from S3, and the full S3 client costs each replica
// ~10 MB of RSS for code it never runs; registry and trainer, which write, keep the SDK.
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { StorageAccess } from '../common/s3.ts';

export interface ObjectReader {
  /** The object's bytes; throws with the storage's status and error code on anything but 200. */
  get(bucket: string, key: string, signal?: AbortSignal): Promise<Buffer>;
}

/** S3 key encoding: every byte but unreserved characters and '/' percent-encoded, as the SDK does for path-style. */
function encodeKey(key: string): string {
  return key
    .split('/')
    .map((part) =>
      encodeURIComponent(part).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join('/');
}

export function makeObjectReader(access: StorageAccess): ObjectReader {
  const signer = new SignatureV4({
    credentials: { accessKeyId: access.accessKey, secretAccessKey: access.secretKey },
    region: access.region,
    service: 's3',
    sha256: Sha256,
    // The path is encoded once, here; S3 signs it as sent.
    uriEscapePath: false,
  });
  const base = new URL(access.url);
  return {
    async get(bucket, key, signal) {
      const path = `${base.pathname.replace(/\/$/, '')}/${encodeURIComponent(bucket)}/${encodeKey(key)}`;
      const request = new HttpRequest({
        method: 'GET',
        protocol: base.protocol,
        hostname: base.hostname,
        port: base.port ? Number(base.port) : undefined,
        path,
        headers: { host: base.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      });
      const signed = await signer.sign(request);
      const res = await fetch(new URL(path, base), { headers: signed.headers as Record<string, string>, signal });
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200) {
        const code = /<Code>([^<]+)<\/Code>/.exec(body.toString('utf8'))?.[1];
        throw new Error(`HTTP ${res.status}${code ? ` ${code}` : ''}`);
      }
      return body;
    },
  };
}
