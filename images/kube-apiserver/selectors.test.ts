import { describe, expect, it } from 'vitest';
import type { K8sObject } from './objects.js';
import { SelectorError, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { renderKubeconfig } from './kubeconfig.js';
import { parse } from 'yaml';

const pod = (labels: Record<string, string>, phase = 'Running'): K8sObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'u', resourceVersion: '1', creationTimestamp: '', labels },
  spec: { nodeName: 'node01' },
  status: { phase },
});

describe('parseLabelSelector', () => {
  const o = pod({ app: 'web', tier: 'front' });
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (web, db)', true],
    ['app notin (web)', false],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['app=web,tier in (front),!missing', true],
    ['kubernetes.io/service-name=web', false],
  ])('%j -> %s', (sel, want) => {
    expect(parseLabelSelector(sel)(o)).toBe(want);
  });
  it('rejects garbage with a SelectorError', () => {
    expect(() => parseLabelSelector('app in web')).toThrow(SelectorError);
  });
});

describe('parseFieldSelector', () => {
  it('reads dotted paths, and ignores fields the object lacks', () => {
    const phaseSel = parseFieldSelector('status.phase!=Succeeded,status.phase!=Failed,status.phase!=Unknown');
    expect(phaseSel(pod({}))).toBe(true);
    expect(phaseSel(pod({}, 'Failed'))).toBe(false);
    expect(parseFieldSelector('metadata.name=p')(pod({}))).toBe(true);
    expect(parseFieldSelector('metadata.name=q')(pod({}))).toBe(false);
    expect(parseFieldSelector('spec.nodeName=node02')(pod({}))).toBe(false);
    expect(parseFieldSelector('involvedObject.kind=Pod')(pod({}))).toBe(true);
  });
});

describe('renderKubeconfig', () => {
  it('has one cluster, user and context named wirelab pointing at the URL', () => {
    const kc = parse(renderKubeconfig('http://127.0.0.1:6443'));
    expect(kc).toMatchObject({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'wirelab',
      clusters: [{ name: 'wirelab', cluster: { server: 'http://127.0.0.1:6443' } }],
      users: [{ name: 'wirelab', user: {} }],
      contexts: [{ name: 'wirelab', context: { cluster: 'wirelab', user: 'wirelab' } }],
    });
  });
});
