/**
 * The gRPC status codes (google.rpc.Code) the adapters act on, as Google's client libraries report
 * them in an error's `code`. Named here once rather than taken from google-gax: the Cloud Tasks
 * adapter loads gax only with its client, on the first task, and must not pull it in at cold start.
 */
export const GrpcCode = {
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
} as const;

/** The `code` of an error thrown by a Google client library, if it has one. */
export const grpcCodeOf = (error: unknown): unknown =>
  typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
