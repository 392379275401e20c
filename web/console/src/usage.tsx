import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import type { Account, UsageReport } from './account-types.js';
import { Alert, bytes, errorText } from './notice.js';

const minutes = (s: number) => `${(s / 60).toFixed(2)} min`;
const limit = (used: string, max: number | null, fmt: (n: number) => string) => (max === null ? `${used} (no limit)` : `${used} of ${fmt(max)}`);
const money = (n: number | null) => (n === null ? 'no price set' : n.toFixed(6));

/**
 * What the account uses: now (GET /v1/account: storage, running and queued jobs, against its
 * quotas) and over a period (GET /v1/account/usage: jobs finished, input minutes, CPU, cost).
 */
export function Usage({ account }: { account: Account }) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [asked, setAsked] = useState('');
  const [report, setReport] = useState<UsageReport | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    let stale = false;
    api<UsageReport>('GET', `/v1/account/usage${asked}`)
      .then((r) => {
        if (stale) return;
        setReport(r);
        setError('');
        setFrom(r.from);
        setTo(r.to);
      })
      .catch((err) => !stale && setError(errorText(err)));
    return () => {
      stale = true;
    };
  }, [asked]);

  const q = account.quotas;
  const u = account.usage;
  const t = report?.totals;
  return (
    <section class="card" aria-labelledby="usage-h" id="usage">
      <h2 id="usage-h">Usage</h2>
      {u && (
        <dl class="facts" aria-label="Now">
          <dt>Storage</dt>
          <dd id="usage-storage">{limit(bytes(u.storageBytes), q.storageBytes, bytes)}</dd>
          <dt>Jobs running</dt>
          <dd>{limit(String(u.runningJobs), q.runningJobs, String)}, {u.queuedJobs} queued</dd>
          <dt>Largest upload</dt>
          <dd>{q.uploadBytes === null ? 'no limit' : bytes(q.uploadBytes)}</dd>
        </dl>
      )}
      <form
        class="actions"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked(`?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
        }}
      >
        <label for="usage-from">From</label>
        <input id="usage-from" type="date" required value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        <label for="usage-to">to</label>
        <input id="usage-to" type="date" required value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        <button type="submit">Show usage</button>
      </form>
      <Alert text={error} id="usage-error" />
      {report && t && (
        <>
          <p id="usage-period">
            From {report.from} to {report.to} (UTC days, both included)
          </p>
          <dl class="facts" aria-label="This period">
            <dt>Jobs finished</dt>
            <dd id="usage-jobs">{t.jobs}</dd>
            <dt>Minutes processed</dt>
            <dd id="usage-minutes">{limit(minutes(t.inputSeconds), q.processingMinutesPerMonth, (n) => `${n} min a month`)}</dd>
            <dt>CPU time</dt>
            <dd>{t.cpuSeconds.toFixed(2)} s</dd>
            <dt>Stored by these jobs</dt>
            <dd>{bytes(t.storageBytes)}</dd>
            <dt>Cost</dt>
            <dd>
              {t.cost.cpu === null && t.cost.storagePerMonth === null
                ? 'no prices set (MEDIAFORGE_COST_PER_CPU_HOUR, MEDIAFORGE_COST_PER_GB_MONTH)'
                : `CPU ${money(t.cost.cpu)}, storage ${money(t.cost.storagePerMonth)} a month`}
            </dd>
          </dl>
          {report.days.length > 0 && (
            <table class="days">
              <caption>By day</caption>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col">Jobs</th>
                  <th scope="col">Input</th>
                  <th scope="col">CPU</th>
                </tr>
              </thead>
              <tbody>
                {report.days.map((d) => (
                  <tr>
                    <th scope="row">{d.day}</th>
                    <td>{d.jobs}</td>
                    <td>{minutes(d.inputSeconds)}</td>
                    <td>{d.cpuSeconds.toFixed(1)} s</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
