import { describe, expect, it } from 'vitest';
import { callerFromSubject, forbiddenMessage, KubeletAuthorizer, requestAttributes, subjectAccessReview } from './authz.js';

describe('kubelet API authorization (pkg/kubelet/server/auth.go, v1.34.2)', () => {
  it('maps a request to attributes on the node: verb from the method, subresource from the path', () => {
    const subs = (method: string, path: string) => requestAttributes(method, path, 'node01').map((a) => `${a.verb} ${a.subresource}`);
    expect(subs('POST', '/exec/default/web/web')).toEqual(['create proxy']);
    expect(subs('GET', '/containerLogs/default/web/web')).toEqual(['get proxy']);
    expect(subs('POST', '/portForward/default/web')).toEqual(['create proxy']);
    expect(subs('GET', '/stats/summary')).toEqual(['get stats']);
    expect(subs('GET', '/metrics/cadvisor')).toEqual(['get metrics']);
    expect(subs('GET', '/logs/syslog')).toEqual(['get log']);
    expect(subs('GET', '/pods')).toEqual(['get pods', 'get proxy']);
    expect(subs('GET', '/healthz')).toEqual(['get healthz', 'get proxy']);
    expect(subs('GET', '/configz')).toEqual(['get configz', 'get proxy']);
    expect(subs('GET', '/flagz')).toEqual(['get configz']);
    expect(subs('GET', '/podsx')).toEqual(['get proxy']);
    expect(requestAttributes('DELETE', '/x', 'n1')[0]).toEqual({ verb: 'delete', resource: 'nodes', name: 'n1', subresource: 'proxy' });
  });

  it("takes the caller from the certificate's subject and words a refusal as kubelet does", () => {
    expect(callerFromSubject({ CN: 'kube-apiserver-kubelet-client', O: 'kubeadm:cluster-admins' })).toEqual({
      user: 'kube-apiserver-kubelet-client',
      groups: ['kubeadm:cluster-admins'],
    });
    expect(callerFromSubject({ CN: 'eve', O: ['a', 'b'] })).toEqual({ user: 'eve', groups: ['a', 'b'] });
    expect(callerFromSubject({ O: 'a' })).toBeUndefined();
    const attrs = requestAttributes('GET', '/healthz', 'node01');
    expect(forbiddenMessage({ user: 'eve', groups: [] }, attrs)).toBe('Forbidden (user=eve, verb=get, resource=nodes, subresource(s)=[healthz proxy])\n');
    expect(subjectAccessReview({ user: 'eve', groups: ['g'] }, attrs[0])).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'eve', groups: ['g'], resourceAttributes: { verb: 'get', version: 'v1', resource: 'nodes', subresource: 'healthz', name: 'node01' } },
    });
  });

  it('tries the attribute sets in order, and remembers answers: allowed for 5 minutes, denied for 30 seconds', async () => {
    let now = 0;
    const asked: string[] = [];
    let allow = new Set(['proxy']);
    const authz = new KubeletAuthorizer(
      async (sar) => {
        const sub = (sar as { spec: { resourceAttributes: { subresource: string } } }).spec.resourceAttributes.subresource;
        asked.push(sub);
        return allow.has(sub);
      },
      () => now,
    );
    const eve = { user: 'eve', groups: [] };
    const attrs = requestAttributes('GET', '/healthz', 'node01');
    expect(await authz.allowed(eve, attrs)).toBe(true);
    expect(asked).toEqual(['healthz', 'proxy']);
    allow = new Set();
    now = 29_000;
    expect(await authz.allowed(eve, attrs)).toBe(true); // both answers still remembered
    expect(asked).toEqual(['healthz', 'proxy']);
    now = 31_000; // the denial of healthz expired, the grant of proxy did not
    expect(await authz.allowed(eve, attrs)).toBe(true);
    expect(asked).toEqual(['healthz', 'proxy', 'healthz']);
    now = 301_000;
    expect(await authz.allowed(eve, attrs)).toBe(false);
    expect(asked).toEqual(['healthz', 'proxy', 'healthz', 'healthz', 'proxy']);
  });
});
