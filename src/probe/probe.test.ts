import { describe, expect, it } from 'vitest';
import { buildProbe, readOutcome, splitHttp, STATUS_MARK } from './probe.js';

describe('HTTP probes', () => {
  it('send the Host name, pin it to the address for SNI, and verify against the lab CA', () => {
    const p = buildProbe(
      { from: 'client', to: 'w1', http: { port: 32500, path: '/api', host: 'app.example.com', https: true, verify: true }, repeat: 2 },
      '10.10.20.100',
      '10.10.20.4',
      32500,
      '/run/wirelab/x/certs/tls-secret.crt',
    );
    const argv = p.runs[0];
    expect(argv).toContain('--resolve');
    expect(argv[argv.indexOf('--resolve') + 1]).toBe('app.example.com:32500:10.10.20.4');
    expect(argv[argv.indexOf('--cacert') + 1]).toBe('/run/wirelab/x/certs/tls-secret.crt');
    expect(argv.filter((a) => a === 'https://app.example.com:32500/api')).toHaveLength(2);
  });

  it('split bodies of any shape by the status marker', () => {
    const out = `web-1\n${STATUS_MARK}200\n<html>\n<h1>404</h1>\n</html>\n${STATUS_MARK}404\n`;
    expect(splitHttp(out)).toEqual([
      { body: 'web-1', status: 200 },
      { body: '<html>\n<h1>404</h1>\n</html>', status: 404 },
    ]);
    const p = buildProbe({ from: 'a', to: 'b', http: { port: 80, path: '/', https: false, verify: true }, repeat: 2 }, '1.1.1.1', '2.2.2.2', 80);
    expect(readOutcome(p, [{ stdout: out, stderr: '', exitCode: 0 }])).toMatchObject({
      reply: true,
      bodies: ['web-1', '<html>\n<h1>404</h1>\n</html>'],
      statuses: [200, 404],
    });
  });
});
