// S3's error vocabulary: clients (the AWS SDK included) branch on the XML <Code>, so codes and statuses
// follow S3's documented pairs rather than anything of our own.

export class S3Error extends Error {
  override name = 'S3Error';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra headers S3 sends with this error (e.g. Content-Range on InvalidRange). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const errors = {
  accessDenied: (why: string) => new S3Error(403, 'AccessDenied', `Access Denied: ${why}`),
  invalidAccessKey: () =>
    new S3Error(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'),
  signatureMismatch: (why = 'The request signature we calculated does not match the signature you provided.') =>
    new S3Error(403, 'SignatureDoesNotMatch', why),
  timeSkewed: () =>
    new S3Error(
      403,
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large (more than 15 minutes).',
    ),
  malformedAuth: (why: string) => new S3Error(400, 'AuthorizationHeaderMalformed', why),
  sha256Mismatch: () =>
    new S3Error(
      400,
      'XAmzContentSHA256Mismatch',
      'The provided x-amz-content-sha256 header does not match what was computed.',
    ),
  badDigest: (what: string) =>
    new S3Error(400, 'BadDigest', `The ${what} you specified did not match what we received.`),
  invalidArgument: (why: string) => new S3Error(400, 'InvalidArgument', why),
  invalidRequest: (why: string) => new S3Error(400, 'InvalidRequest', why),
  incompleteBody: (why: string) => new S3Error(400, 'IncompleteBody', why),
  invalidUri: () => new S3Error(400, 'InvalidURI', 'Could not parse the specified URI.'),
  keyTooLong: () => new S3Error(400, 'KeyTooLongError', 'Your key is too long (at most 1024 bytes of UTF-8).'),
  invalidBucketName: (why: string) =>
    new S3Error(400, 'InvalidBucketName', `The specified bucket is not valid: ${why}`),
  entityTooLarge: (max: number) =>
    new S3Error(400, 'EntityTooLarge', `Your proposed upload exceeds the maximum allowed object size of ${max} bytes.`),
  noSuchBucket: () => new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist.'),
  noSuchKey: () => new S3Error(404, 'NoSuchKey', 'The specified key does not exist.'),
  bucketExists: () =>
    new S3Error(
      409,
      'BucketAlreadyOwnedByYou',
      'Your previous request to create the named bucket succeeded and you already own it.',
    ),
  bucketNotEmpty: () => new S3Error(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty.'),
  preconditionFailed: (condition: string) =>
    new S3Error(
      412,
      'PreconditionFailed',
      `At least one of the pre-conditions you specified did not hold: ${condition}`,
    ),
  invalidRange: (size: number) =>
    new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable.', { 'content-range': `bytes */${size}` }),
  notImplemented: (what: string) =>
    new S3Error(
      501,
      'NotImplemented',
      `A header or query you provided implies functionality that is not implemented: ${what}`,
    ),
};

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => XML_ENTITIES[c]);
}

export function errorXml(err: S3Error, resource: string, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${err.code}</Code><Message>${escapeXml(err.message)}</Message>` +
    `<Resource>${escapeXml(resource)}</Resource><RequestId>${escapeXml(requestId)}</RequestId></Error>`
  );
}
