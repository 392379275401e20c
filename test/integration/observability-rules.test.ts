import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/process.js';
import { tempDir } from '../helpers/temp.js';

// The alert rules and scrape config of deploy/observability, checked by Debian's promtool
// (the `prometheus` package, .ci/run). The names they read are checked against a real scrape
// in test/e2e/prometheus-scrape.test.ts.
const OBS = join(ROOT, 'deploy/observability');
const run = promisify(execFile);

async function promtool(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run('promtool', args, { cwd: OBS });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number') throw new Error(`cannot run promtool (${e.message}): install Debian's prometheus package (.ci/run does)`);
    return { code: e.code, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const alertNames = (yaml: string) => [...yaml.matchAll(/^\s*- alert: (\S+)/gm)].map((m) => m[1]);

describe('deploy/observability: alert rules and scrape config under promtool', () => {
  it('alerts.yml passes promtool check rules, and a broken rule does not (the check runs)', async () => {
    const ok = await promtool('check', 'rules', 'alerts.yml');
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /SUCCESS: 6 rules found/);
    const t = await tempDir('mf-rules-');
    try {
      const text = await readFile(join(OBS, 'alerts.yml'), 'utf8');
      const broken = text.replace('max by (route) (mediaforge_queue_depth) > 100', 'max by (route) (mediaforge_queue_depth > 100');
      assert.notEqual(broken, text, 'the backlog rule to break is in alerts.yml');
      await writeFile(join(t.dir, 'bad.yml'), broken);
      const bad = await promtool('check', 'rules', join(t.dir, 'bad.yml'));
      assert.notEqual(bad.code, 0, bad.out);
      assert.match(bad.out, /parse error/i);
    } finally {
      await t.cleanup();
    }
  });

  it('every alert has a severity (critical or warning), a summary, a description and a for', async () => {
    const text = await readFile(join(OBS, 'alerts.yml'), 'utf8');
    const blocks = text.split(/^\s*- alert: /m).slice(1);
    assert.equal(blocks.length, 6);
    for (const b of blocks) {
      const name = b.split('\n')[0];
      assert.match(b, /\n\s+for: \d+m\n/, `${name}: for`);
      assert.match(b, /\n\s+severity: (critical|warning)\n/, `${name}: severity`);
      assert.match(b, /\n\s+summary: "[^"]{10,}"/, `${name}: summary`);
      assert.match(b, /\n\s+description: >-\n\s+\S/, `${name}: description`);
    }
  });

  it('promtool test rules: each alert fires on its series and stays quiet on healthy ones', async () => {
    const r = await promtool('test', 'rules', 'alerts.test.yml');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS/);
    // Every alert of alerts.yml is shown firing somewhere in the unit tests.
    const tests = await readFile(join(OBS, 'alerts.test.yml'), 'utf8');
    const firing = new Set([...tests.matchAll(/alertname: (\S+)\n\s+exp_alerts:\n\s+- exp_labels/g)].map((m) => m[1]));
    const quiet = new Set([...tests.matchAll(/alertname: (\S+)\n\s+exp_alerts: \[\]/g)].map((m) => m[1]));
    for (const name of alertNames(await readFile(join(OBS, 'alerts.yml'), 'utf8'))) {
      assert.ok(firing.has(name), `${name} is shown firing in alerts.test.yml`);
      assert.ok(quiet.has(name), `${name} is shown quiet in alerts.test.yml`);
    }
  });

  it('prometheus.yml passes promtool check config (its rule file included)', async () => {
    const r = await promtool('check', 'config', 'prometheus.yml');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS: 1 rule files found/);
    assert.match(r.out, /SUCCESS: 6 rules found/);
  });
});

describe('deploy: Kubernetes probes, scrape annotations and the compose profile', () => {
  const read = (p: string) => readFile(join(ROOT, p), 'utf8');

  it('API and workers: /readyz readiness, /healthz liveness, metrics served and annotated', async () => {
    const api = await read('deploy/k8s/api.yaml');
    assert.match(api, /readinessProbe:\n\s+httpGet: \{ path: \/readyz, port: http \}/);
    assert.match(api, /livenessProbe:\n\s+httpGet: \{ path: \/healthz, port: http \}/);
    assert.match(api, /prometheus\.io\/scrape: "true", prometheus\.io\/port: "3000"/);
    for (const p of ['deploy/k8s/worker.yaml', 'deploy/k8s/worker-pool-hls.example.yaml']) {
      const w = await read(p);
      assert.match(w, /- name: MEDIAFORGE_METRICS_PORT\n\s+value: "9464"/, p);
      assert.match(w, /ports: \[\{ name: metrics, containerPort: 9464 \}\]/, p);
      assert.match(w, /readinessProbe:\n\s+httpGet: \{ path: \/readyz, port: metrics \}/, p);
      assert.match(w, /livenessProbe:\n\s+httpGet: \{ path: \/healthz, port: metrics \}/, p);
      assert.match(w, /prometheus\.io\/port: "9464"/, p);
    }
  });

  it('the PodMonitor selects the pods of the manifests, on the ports they name', async () => {
    const pm = await read('deploy/observability/podmonitor.yaml');
    const values = /values: \[([^\]]+)\]/.exec(pm)![1].split(',').map((s) => s.trim());
    for (const [file, name] of [['api.yaml', 'mediaforge-api'], ['worker.yaml', 'mediaforge-worker'], ['worker-pool-hls.example.yaml', 'mediaforge-worker-hls']]) {
      assert.ok((await read(`deploy/k8s/${file}`)).includes(`labels: { app.kubernetes.io/name: ${name} }`), file);
      assert.ok(values.includes(name), name);
    }
    assert.match(pm, /- port: http\n\s+path: \/metrics/);
    assert.match(pm, /- port: metrics\n\s+path: \/metrics/);
  });

  it('the observability compose profile mounts files that exist, and the workers serve the port it scrapes', async () => {
    const compose = await read('docker-compose.yml');
    const mounts = [...compose.matchAll(/- \.\/(deploy\/observability\/[^:]+):/g)].map((m) => m[1]);
    assert.ok(mounts.length >= 4, mounts.join(', '));
    for (const m of mounts) await stat(join(ROOT, m)); // throws when missing
    for (const svc of ['prometheus', 'grafana', 'jaeger']) assert.match(compose, new RegExp(`\\n  ${svc}:\\n(?:    .*\\n)*?    profiles: \\[observability\\]`), svc);
    assert.match(compose, /"4318:4318"/);
    assert.match(compose, /MEDIAFORGE_METRICS_PORT: "9464"/);
    assert.match(await read('deploy/observability/prometheus.yml'), /port: 9464/);
  });

  it('docker-compose.yml is valid for Compose with the profile, and the platform sends traces to Jaeger only when told to', async () => {
    // Debian's docker-compose (.ci/run installs it) parses and resolves the file without a daemon.
    const compose = async (env: Record<string, string>, ...args: string[]) => {
      try {
        const r = await run('docker-compose', ['--profile', 'observability', ...args], { cwd: ROOT, env: { PATH: process.env.PATH, MEDIAFORGE_API_KEY: 'k'.repeat(20), MEDIAFORGE_SIGNING_SECRET: 's'.repeat(40), ...env } });
        return r.stdout;
      } catch (err) {
        const e = err as { code?: number | string; stderr?: string; message: string };
        if (typeof e.code !== 'number') throw new Error(`cannot run docker-compose (${e.message}): install Debian's docker-compose package (.ci/run does)`);
        throw new Error(`docker-compose config refused the file: ${e.stderr ?? e.message}`);
      }
    };
    const services = (await compose({}, 'config', '--services')).split('\n').filter(Boolean).sort();
    for (const s of ['api', 'worker', 'prometheus', 'grafana', 'jaeger']) assert.ok(services.includes(s), services.join(', '));
    const traced = await compose({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }, 'config');
    assert.equal([...traced.matchAll(/OTEL_EXPORTER_OTLP_ENDPOINT: http:\/\/jaeger:4318/g)].length, 3, 'migrate, api and worker get the endpoint');
    assert.doesNotMatch(await compose({}, 'config'), /OTEL_EXPORTER_OTLP_ENDPOINT: http/);
  });
});

describe('deploy/observability: the Grafana dashboard and its provisioning', () => {
  interface Panel { id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; datasource?: { uid: string }; targets?: Array<{ expr: string }> }

  it('has unique panel ids, panels within 24 columns that do not overlap, a query in every panel', async () => {
    const d = JSON.parse(await readFile(join(OBS, 'grafana-dashboard.json'), 'utf8')) as { uid: string; panels: Panel[] };
    assert.equal(d.uid, 'mediaforge');
    assert.equal(new Set(d.panels.map((p) => p.id)).size, d.panels.length);
    const cells = new Map<string, string>();
    for (const p of d.panels) {
      const g = p.gridPos;
      assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24, `${p.title}: within 24 columns`);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          const key = `${x},${y}`;
          assert.ok(!cells.has(key), `"${p.title}" overlaps "${cells.get(key)}"`);
          cells.set(key, p.title);
        }
      }
      if (p.type === 'row') continue;
      assert.equal(p.datasource?.uid, '${datasource}', `${p.title}: the datasource variable`);
      assert.ok((p.targets ?? []).length > 0 && p.targets!.every((t) => t.expr.trim()), `${p.title}: a query`);
    }
  });

  it('the panels the alerts point operators to exist, and the provisioned datasource is the default one', async () => {
    const d = JSON.parse(await readFile(join(OBS, 'grafana-dashboard.json'), 'utf8')) as { panels: Panel[]; templating: { list: Array<{ name: string; current?: { value: string } }> } };
    const titles = new Set(d.panels.map((p) => p.title));
    const alerts = await readFile(join(OBS, 'alerts.yml'), 'utf8');
    const named = [...alerts.matchAll(/dashboard's "([^"]+)"/g)].map((m) => m[1]);
    assert.ok(named.length >= 2, named.join(', '));
    for (const t of named) assert.ok(titles.has(t), `alerts.yml names the panel "${t}"`);
    const ds = await readFile(join(OBS, 'grafana/provisioning/datasources/prometheus.yaml'), 'utf8');
    const uid = /\n\s+uid: (\S+)/.exec(ds)![1];
    assert.equal(d.templating.list.find((v) => v.name === 'datasource')?.current?.value, uid);
  });
});
