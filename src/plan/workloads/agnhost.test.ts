// The real agnhost as a container (test/images/agnhost v1.34.2): where each subcommand listens
// by default and with flags, and what it refuses to start with.
import { describe, expect, it } from 'vitest';
import { agnhostArgs, agnhostArgv, agnhostProblem, agnhostReadiness } from './agnhost.js';

describe('agnhost', () => {
  it('serve-hostname listens on --port (default 9376): HTTP and --tcp on TCP, --udp on UDP', () => {
    expect(agnhostReadiness(['serve-hostname'])).toEqual({ tcp: 9376 });
    expect(agnhostReadiness(['serve-hostname', '--port=80'])).toEqual({ tcp: 80 });
    expect(agnhostReadiness(['serve-hostname', '--udp', '--http=false', '--port', '53'])).toEqual({ udp: 53 });
    expect(agnhostReadiness(['serve-hostname', '--tcp', '--udp', '--http=false', '--port=9000'])).toEqual({ tcp: 9000, udp: 9000 });
  });

  it('netexec listens on --http-port (8080) and --udp-port (8081, off with -1); others are up when started', () => {
    expect(agnhostReadiness(['netexec'])).toEqual({ tcp: 8080, udp: 8081 });
    expect(agnhostReadiness(['netexec', '--http-port=80', '--udp-port=-1'])).toEqual({ tcp: 80 });
    expect(agnhostReadiness(['pause'])).toBe('started');
  });

  it('refuses what agnhost refuses: an unknown subcommand, HTTP together with TCP or UDP', () => {
    expect(agnhostProblem(['serve-hostname', '--port=80'])).toBeUndefined();
    expect(agnhostProblem(['bogus'])?.message).toBe('agnhost has no subcommand "bogus"');
    expect(agnhostProblem(['serve-hostname', '--udp'])?.fix).toBe('add --http=false');
    expect(agnhostProblem(['serve-hostname', '--udp', '--http=false'])).toBeUndefined();
  });

  it('a command replaces the image entrypoint (/agnhost); the container is named after its pod', () => {
    expect(agnhostArgs({ command: ['/agnhost', 'netexec'], args: ['--http-port=80'] })).toEqual(['netexec', '--http-port=80']);
    const argv = agnhostArgv({ args: ['serve-hostname'] }, 'web-0');
    expect(argv.slice(0, 8)).toEqual(['unshare', '--uts', '--', 'sh', '-c', 'hostname "$0" && exec "$@"', 'web-0', expect.stringMatching(/\/agnhost$/)]);
  });
});
