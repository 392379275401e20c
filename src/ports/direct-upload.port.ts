/**
 * Direct uploads: the client sends the bytes straight to object storage through short-lived
 * signed URLs, so large sources never pass through an API process. Only storage that can
 * sign URLs (S3 and compatibles) provides this port; with local storage it is absent.
 */
export interface PresignedPart {
  partNumber: number;
  url: string;
}

export interface DirectUploadSigner {
  /** A PUT URL for exactly this key; the signature covers the key and content type. */
  presignPut(key: string, opts: { expiresInSeconds: number; contentType: string; contentLength: number }): Promise<string>;
  startMultipart(key: string, opts: { contentType: string }): Promise<string>;
  presignParts(key: string, multipartId: string, partCount: number, expiresInSeconds: number): Promise<PresignedPart[]>;
  completeMultipart(key: string, multipartId: string, parts: { partNumber: number; etag: string }[]): Promise<void>;
  abortMultipart(key: string, multipartId: string): Promise<void>;
}
