import { Upload, type UploadOptions } from 'tus-js-client';

/** One tus upload with tus-js-client (Node's HTTP stack), to its end: the upload URL, or the client's error. */
export function tusUpload(data: Buffer, options: UploadOptions, hooks: { started?: (upload: Upload) => void } = {}): Promise<{ url: string; upload: Upload }> {
  return new Promise((resolve, reject) => {
    const upload = new Upload(data, {
      retryDelays: null,
      ...options,
      onSuccess: () => resolve({ url: upload.url!, upload }),
      onError: (err) => reject(err),
    });
    upload.start();
    hooks.started?.(upload);
  });
}

/** The upload id a tus URL ends with (`…/v1/uploads/tus/upl_…?token=…`). */
export function uploadIdOf(url: string): string {
  return new URL(url).pathname.split('/').pop()!;
}
