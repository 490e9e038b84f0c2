// Ingress and Gateway API on real kernel state: real nginx as the controller pod, the routes
// it was configured with, TLS verified against the generated certificate, a 90/10 canary.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardLeftovers, lab, ROOT, sh, waitFor } from './helpers.js';

const tmp = guardLeftovers('wirelab-ing-');

async function run(labArg: string) {
  const out = tmp();
  const r = await lab(['run', labArg, '--out', out]);
  return { r, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) };
}

describe('ingress', () => {
  for (const name of ['ingress-host', 'ingress-path-tls', 'gateway-canary']) {
    it(`${name} passes`, async () => {
      const { r, report } = await run(name);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(report.passed).toBe(true);
    });
  }

  it('the controller reloads nginx when `lab kubectl` changes the Ingress (host renamed -> old host 404)', async () => {
    expect((await lab(['up', 'ingress-host'])).code).toBe(0);
    try {
      // A request in flight while nginx swaps its workers may fail outright: that counts as "not yet".
      const curl = (host: string) => {
        try {
          return sh([
            'ip',
            'netns',
            'exec',
            'wl-ingress-host.laptop',
            'curl',
            '-s',
            '--max-time',
            '2',
            '-o',
            '/dev/null',
            '-w',
            '%{http_code}',
            '-H',
            `Host: ${host}`,
            'http://172.16.20.6:30384/',
          ]);
        } catch {
          return 'error';
        }
      };
      await waitFor(() => curl('nginx.local') === '200', 10_000, 'nginx.local to answer');
      // As a user would: kubectl against the lab's API server; the controller watches it.
      const patch = JSON.stringify([{ op: 'replace', path: '/spec/rules/0/host', value: 'nginx2.local' }]);
      const k = await lab(['kubectl', 'ingress-host', '--', 'patch', 'ingress', 'host-based-ingress', '--type=json', `-p=${patch}`]);
      expect(k.code, k.stderr).toBe(0);
      expect(k.stdout).toContain('ingress.networking.k8s.io/host-based-ingress patched');
      await waitFor(() => curl('nginx2.local') === '200', 20_000, 'nginx to serve the renamed host');
      // Old workers finish gracefully after a reload, and until they have, a request may still
      // reach one: the old host is gone once several requests in a row get the 404.
      await waitFor(() => [1, 2, 3, 4, 5].every(() => curl('nginx.local') === '404'), 20_000, 'the old host to be gone');
    } finally {
      expect((await lab(['down', 'ingress-host'])).code).toBe(0);
    }
  });

  it('a wrong backend in the expectation fails, naming the request', async () => {
    const file = join(tmp(), 'ingress-wrong.yaml');
    writeFileSync(
      file,
      readFileSync(join(ROOT, 'labs/ingress-path-tls.yaml'), 'utf8')
        .replace('name: ingress-path-tls', 'name: ingress-wrong')
        .replace('expect: { status: 200, body: api-1 }', 'expect: { status: 200, body: admin-1 }'),
    );
    const { r, report } = await run(file);
    expect(r.code).toBe(1);
    const e = report.expectations.find((x: { name: string }) => x.name === 'https://app.example.com/api -> api-service');
    expect(e.passed).toBe(false);
    expect(e.message).toBe('expected the answer to contain "admin-1", got "api-1"');
  });
});
