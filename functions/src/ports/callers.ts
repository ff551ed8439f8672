/** Who may call a service-to-service endpoint (Cloud Tasks → recordingWorker). */
export interface ServiceCallerVerifier {
  /**
   * Resolves when the `Authorization` header holds a token for this endpoint from the one service
   * account allowed to call it; throws `unauthenticated` (401) or `forbidden` (403) otherwise.
   */
  verify(authorization: string | undefined): Promise<void>;
}
