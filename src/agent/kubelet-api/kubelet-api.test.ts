import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { parseLogQuery, tailOffset } from './logs.js';
import { exitStatus, parseStreamOptions, resizeEvents } from './remotecommand.js';
import { negotiate, route } from './server.js';
import { parsePort, requestId } from './port-forward.js';

describe('kubelet API paths (pkg/kubelet/server/server.go, v1.34.2)', () => {
  it('routes exec, attach, containerLogs and portForward, with or without the pod UID', () => {
    expect(route('/exec/default/web-1/web')).toEqual({ verb: 'exec', namespace: 'default', pod: 'web-1', container: 'web' });
    expect(route('/exec/default/web-1/0b7c-uid/web')).toEqual({ verb: 'exec', namespace: 'default', pod: 'web-1', container: 'web' });
    expect(route('/containerLogs/kube-system/coredns-x/coredns')).toEqual({
      verb: 'containerLogs',
      namespace: 'kube-system',
      pod: 'coredns-x',
      container: 'coredns',
    });
    expect(route('/portForward/default/web-1')).toEqual({ verb: 'portForward', namespace: 'default', pod: 'web-1' });
    expect(route('/exec/default/web-1')).toBeUndefined();
    expect(route('/pods')).toBeUndefined();
  });

  it('negotiates the first protocol of the client that the server speaks (httpstream.Handshake)', () => {
    expect(negotiate('v5.channel.k8s.io,v4.channel.k8s.io,v3.channel.k8s.io', ['v4.channel.k8s.io'])).toBe('v4.channel.k8s.io');
    expect(negotiate(['v5.channel.k8s.io', 'v4.channel.k8s.io'], ['v4.channel.k8s.io'])).toBe('v4.channel.k8s.io');
    expect(negotiate('v5.channel.k8s.io', ['v4.channel.k8s.io'])).toBeUndefined();
    expect(negotiate(undefined, ['portforward.k8s.io'])).toBeUndefined();
  });
});

describe('remote command protocol v4', () => {
  it("reads the API server's query (input/output/error/tty); a TTY has no stderr; one channel at least", () => {
    expect(parseStreamOptions(new URLSearchParams('command=sh&input=1&output=1&error=1'))).toEqual({ stdin: true, stdout: true, stderr: true, tty: false });
    expect(parseStreamOptions(new URLSearchParams('input=1&output=1&error=1&tty=1'))).toEqual({ stdin: true, stdout: true, stderr: false, tty: true });
    expect(parseStreamOptions(new URLSearchParams('command=true'))).toEqual({ error: 'you must specify at least 1 of stdin, stdout, stderr' });
  });

  it('reports exit codes as kubectl reads them (NonZeroExitCode with an ExitCode cause)', () => {
    expect(exitStatus(0)).toEqual({ metadata: {}, status: 'Success' });
    expect(exitStatus(126)).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '126' }] } });
  });

  it('decodes window sizes however the resize stream splits them', async () => {
    const s = new PassThrough();
    const sizes: number[][] = [];
    resizeEvents(s, (c, r) => sizes.push([c, r]));
    s.write('{"Width":80,"Heig');
    s.write('ht":24}{"Width":120,"Height":40}\n{"Width":1');
    await new Promise((r) => setImmediate(r));
    expect(sizes).toEqual([
      [80, 24],
      [120, 40],
    ]);
  });
});

describe('container logs', () => {
  it('takes the last n lines, a final line without newline counting as one', () => {
    const text = Buffer.from('a\nb\nc\n');
    expect(text.subarray(tailOffset(text, 2)).toString()).toBe('b\nc\n');
    expect(text.subarray(tailOffset(text, 10)).toString()).toBe('a\nb\nc\n');
    expect(text.subarray(tailOffset(text, 0)).toString()).toBe('');
    const open = Buffer.from('a\nb\nc');
    expect(open.subarray(tailOffset(open, 1)).toString()).toBe('c');
  });

  it("reads PodLogOptions' query as the API server sends it, refusing a negative count", () => {
    expect(parseLogQuery(new URLSearchParams('follow=true&tailLines=5'))).toEqual({ follow: true, previous: false, tailLines: 5 });
    expect(parseLogQuery(new URLSearchParams('previous=true&limitBytes=10'))).toEqual({ follow: false, previous: true, limitBytes: 10 });
    expect(parseLogQuery(new URLSearchParams('tailLines=-1'))).toEqual({ error: 'tailLines must be a non-negative integer, got "-1"' });
  });
});

describe('port forwarding (portforward.k8s.io)', () => {
  it('pairs streams by requestID, or by stream id for clients that send none', () => {
    expect(requestId({ id: 5, headers: { requestid: '0', streamtype: 'data' } })).toBe('0');
    expect(requestId({ id: 1, headers: { streamtype: 'error' } })).toBe('1');
    expect(requestId({ id: 3, headers: { streamtype: 'data' } })).toBe('1');
  });

  it('takes ports 1-65535 only', () => {
    expect(parsePort('8080')).toBe(8080);
    expect(parsePort('0')).toEqual({ error: 'unable to parse "0" as a port' });
    expect(parsePort(undefined)).toEqual({ error: '"port" header is required' });
  });
});
