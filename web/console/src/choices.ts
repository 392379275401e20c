// The choices of a request field (key scopes, webhook event types), read from the API's own
// OpenAPI document as the job form reads its outputs: a new scope or event type needs no console change.

export interface Choices {
  options: string[];
  /** The field's description: what leaving every box empty means (the API's default). */
  hint: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON document read by optional paths
let doc: Promise<any> | null = null;
const openapi = () => (doc ??= fetch('/v1/openapi.json').then((r) => (r.ok ? r.json() : Promise.reject(new Error(`GET /v1/openapi.json: ${r.status}`)))));

/** `field`'s enum of the JSON request body of `method path`. */
export async function choicesOf(path: string, method: string, field: string): Promise<Choices> {
  const d = await openapi().catch((err) => {
    doc = null;
    throw err;
  });
  const prop = d?.paths?.[path]?.[method]?.requestBody?.content?.['application/json']?.schema?.properties?.[field];
  const options = prop?.items?.enum ?? prop?.enum;
  if (!Array.isArray(options)) throw new Error(`the API document has no choices for ${field} of ${method.toUpperCase()} ${path}`);
  return { options: options.map(String), hint: String(prop.description ?? '') };
}
