/**
 * Who is asking: resolved once from the request's credentials, then handed to the services.
 * Today a principal is an API key; accounts and scopes extend this type, not its callers.
 */
export interface Principal {
  keyId: string;
  keyName: string;
}
