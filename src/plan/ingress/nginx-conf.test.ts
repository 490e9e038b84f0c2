// nginx -t on what renderNginxConf writes for seed 004 and for a Gateway with weights and header
// matches (skipped when nginx or openssl is not installed).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderNginxConf } from './nginx-conf.js';
import type { NginxConfInput } from './types.js';
import { gateway, GW, gwServices, gwSlices, route, seed004 } from './testing/nginx-fixtures.js';

// ---- nginx -t ----------------------------------------------------------------------------------------

const hasNginx = spawnSync('nginx', ['-v']).status === 0;
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe.skipIf(!hasNginx || !hasOpenssl)('nginx -t', () => {
  it('accepts the rendered configuration for seed 004 and for a Gateway with weights and headers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wirelab-ingress-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=app.example.com',
          '-addext',
          'subjectAltName=DNS:app.example.com,DNS:admin.example.com',
          '-keyout',
          join(dir, 'k'),
          '-out',
          join(dir, 'c'),
          '-days',
          '1',
        ],
        { stdio: 'pipe' },
      );
      const certs = { cert: join(dir, 'c'), key: join(dir, 'k') };
      const check = (input: NginxConfInput, name: string) => {
        const file = join(dir, name);
        writeFileSync(file, renderNginxConf(input));
        const r = spawnSync('nginx', ['-t', '-c', file, '-e', join(dir, 'startup-error.log')], { encoding: 'utf8' });
        expect(`${r.stdout}${r.stderr}`, `nginx -t ${name}`).toContain('syntax is ok');
        expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
      };
      check({ ...seed004(certs), stateDir: dir }, 'seed004.conf');
      const r = route({
        hostnames: ['shop.local'],
        rules: [
          {
            matches: [
              {
                headers: [
                  { name: 'X-Canary', value: 'true' },
                  { name: 'X-Env', value: 'a$b' },
                ],
              },
            ],
            backendRefs: [{ name: 'canary', port: 80 }],
          },
          {
            backendRefs: [
              { name: 'v1', port: 80, weight: 90 },
              { name: 'v2', port: 80, weight: 10 },
              { name: 'missing', port: 80, weight: 1 },
            ],
          },
        ],
      });
      const gw = gateway({
        ...GW,
        spec: {
          gatewayClassName: 'nginx',
          listeners: [
            { name: 'http', protocol: 'HTTP', port: 80 },
            { name: 'tls', protocol: 'HTTPS', port: 8443, tls: { certificateRefs: [{ name: 'tls-secret' }] } },
          ],
        },
      });
      check(
        {
          ...seed004(certs),
          stateDir: dir,
          gateways: [gw],
          httpRoutes: [r],
          services: [...seed004().services, ...gwServices],
          endpointSlices: [...seed004().endpointSlices, ...gwSlices],
          defaultCertificate: certs,
        },
        'gateway.conf',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
