// The parts of the account, key and webhook answers the account page reads (docs/accounts.md, docs/notifications.md).

export interface Me {
  accountId: string;
  scopes: string[];
  kind: 'user' | 'key';
  user?: { id: string; email: string; role: string };
  key?: { id: string; name: string };
}

export interface Account {
  id: string;
  name: string;
  quotas: { storageBytes: number | null; runningJobs: number | null; processingMinutesPerMonth: number | null; uploadBytes: number | null };
  usage?: { storageBytes: number; uploadBytes: number; outputBytes: number; runningJobs: number; queuedJobs: number };
}

export interface UsageDay {
  day: string;
  jobs: number;
  inputSeconds: number;
  cpuSeconds: number;
  storageBytes: number;
}

export interface UsageReport {
  from: string;
  to: string;
  days: UsageDay[];
  totals: { jobs: number; inputSeconds: number; cpuSeconds: number; storageBytes: number; cost: { cpu: number | null; storagePerMonth: number | null } };
}

export interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface Endpoint {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  createdAt: string;
  disabledAt: string | null;
  disabledReason: string | null;
  failingSince: string | null;
}

export interface Attempt {
  at: string;
  statusCode: number | null;
  latencyMs: number;
  responseBody: string | null;
  error: string | null;
}

export interface Delivery {
  id: string;
  event: { id: string; type: string; timestamp: string; subjectId: string };
  status: 'pending' | 'succeeded' | 'failed';
  attemptCount: number;
  nextAttemptAt: string | null;
  createdAt: string;
  attempts: Attempt[];
}
