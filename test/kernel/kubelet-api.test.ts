// The node agents' kubelet API through the real kubectl (v1.34.2) and the real API server:
// kubectl exec (output, stdin, exit codes, the container's view: hostname and resolv.conf; -it
// with the terminal's size), lab exec into a pod, kubectl logs (agnhost, CoreDNS, --tail, -f,
// --previous after a restart), kubectl attach, kubectl run -it in a pseudo-terminal (script(1))
// with nslookup as seed 001 types it, kubectl port-forward then
// curl on loopback, and the errors a user meets. Breaking the kernel state on purpose (the
// kubelet port rejected on a node, a pod's resolv.conf pointed nowhere) turns answers into
// errors. Nothing is left running afterwards (guardLeftovers, and no kubectl/socat/console).
import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardLeftovers, lab, ROOT, sh, waitFor } from './helpers.js';

const tmp = guardLeftovers('wirelab-kubelet-');
const LAB = 'kubectl-expose';
const KUBECTL = join(ROOT, '.wirelab/bin/kubectl');
const env = () => ({ ...process.env, KUBECONFIG: `/run/wirelab/${LAB}/kubeconfigs/admin.conf` });
/** Seed 001's ClusterIP for web-service (kubectl expose --cluster-ip pins it). */
const CLUSTER_IP = '10.97.253.216';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real kubectl, with optional stdin; never a TTY. */
function kubectl(args: string[], input?: string, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, args, { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kubectl ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

async function webPods(): Promise<string[]> {
  return (await ok(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ').filter(Boolean);
}

/** Output of a long-running child until it matches (or the time is up). */
function until(child: ChildProcess, re: RegExp, timeoutMs: number, what: string): Promise<string> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; saw:\n${seen}`)), timeoutMs);
    const on = (d: Buffer) => {
      seen += d.toString();
      if (re.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
  });
}

const exited = (child: ChildProcess) => new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : -1))));

/** A request to node01's kubelet from the control-plane node, with a client certificate the
 * cluster's CA signs for `user` (made here, as an admin handing out access would). */
function callKubelet(user: string, path: string, method = 'GET'): { status: string; body: string } {
  const pki = `/run/wirelab/${LAB}/pki`;
  const dir = tmp();
  const [key, csr, crt] = ['key', 'csr', 'crt'].map((x) => join(dir, `${user}.${x}`));
  sh(['openssl', 'req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${user}`]);
  sh([
    'openssl',
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    `${pki}/ca.crt`,
    '-CAkey',
    `${pki}/ca.key`,
    '-CAcreateserial',
    '-CAserial',
    join(dir, 'ca.srl'),
    '-out',
    crt,
    '-days',
    '1',
  ]);
  const out = sh([
    'ip',
    'netns',
    'exec',
    `wl-${LAB}.controlplane`,
    'curl',
    '-s',
    '--max-time',
    '10',
    '-X',
    method,
    '-w',
    '\n%{http_code}',
    '--cacert',
    `${pki}/ca.crt`,
    '--cert',
    crt,
    '--key',
    key,
    `https://172.16.20.6:10250${path}`,
  ]);
  const cut = out.lastIndexOf('\n');
  return { status: out.slice(cut + 1), body: out.slice(0, cut) };
}

async function withLab(body: () => Promise<void>): Promise<void> {
  const up = await lab(['up', LAB], 180_000);
  expect(up.code, up.stdout + up.stderr).toBe(0);
  try {
    await body();
  } finally {
    expect((await lab(['down', LAB])).code).toBe(0);
  }
}

describe('the kubelet API through the real kubectl', () => {
  it('kubectl exec: a Service answers by name from test-dns; stdin, exit codes and the container view are carried; errors read as kubelet says', async () => {
    await withLab(async () => {
      await ok(['expose', 'deployment', 'web', '--name=web-service', '--port=80', `--cluster-ip=${CLUSTER_IP}`]);
      const pods = await webPods();
      expect(pods).toHaveLength(3);
      await waitFor(async () => (await kubectl(['exec', 'test-dns', '--', 'curl', '-s', '--max-time', '2', 'web-service'])).code === 0, 20_000, 'web-service');
      const answer = await ok(['exec', 'test-dns', '--', 'curl', '-s', 'web-service']);
      expect(pods).toContain(answer.trim());

      // The container's view: its hostname, its resolv.conf (CoreDNS's ClusterIP, the search path).
      expect((await ok(['exec', 'test-dns', '--', 'hostname'])).trim()).toBe('test-dns');
      expect(await ok(['exec', 'test-dns', '--', 'cat', '/etc/resolv.conf'])).toMatch(/^nameserver 10\.96\.0\.10$/m);
      expect((await ok(['exec', pods[0], '--', 'hostname'])).trim()).toBe(pods[0]);

      // stdin, and stdout/stderr kept apart.
      expect(await ok(['exec', '-i', 'test-dns', '--', 'tr', 'a-z', 'A-Z'], 'hello kubelet\n')).toBe('HELLO KUBELET\n');
      const both = await kubectl(['exec', 'test-dns', '--', 'sh', '-c', 'echo out; echo err >&2']);
      expect([both.stdout, both.stderr]).toEqual(['out\n', 'err\n']);

      // Exit codes: the command's own, the shell's 127, runc's 126 for a command it cannot start.
      expect((await kubectl(['exec', 'test-dns', '--', 'false'])).code).toBe(1);
      const seven = await kubectl(['exec', 'test-dns', '--', 'sh', '-c', 'exit 7']);
      expect(seven.code).toBe(7);
      expect(seven.stderr).toContain('command terminated with exit code 7');
      expect((await kubectl(['exec', 'test-dns', '--', 'sh', '-c', 'no-such-command'])).code).toBe(127);
      const missing = await kubectl(['exec', 'test-dns', '--', 'no-such-command']);
      expect(missing.code).toBe(126);
      expect(missing.stderr).toContain('exec: "no-such-command": executable file not found in $PATH');
      const notProgram = await kubectl(['exec', 'test-dns', '--', '/etc/hosts']);
      expect(notProgram.code).toBe(126);

      // A container the pod does not have (the API server), one that is not running (the kubelet).
      const unknown = await kubectl(['exec', 'test-dns', '-c', 'nope', '--', 'true']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('container nope is not valid for pod test-dns');
      const blockedFile = join(tmp(), 'blocked.yaml');
      writeFileSync(
        blockedFile,
        'apiVersion: v1\nkind: Pod\nmetadata: { name: blocked }\nspec:\n  containers: [{ name: app, image: quay.io/unknown/image:1 }]\n',
      );
      await ok(['apply', '-f', blockedFile]);
      await waitFor(async () => (await kubectl(['get', 'pod', 'blocked', '-o', 'jsonpath={.status.hostIP}'])).stdout !== '', 20_000, 'blocked pod on a node');
      const waiting = await kubectl(['exec', 'blocked', '--', 'true']);
      expect(waiting.code).toBe(1);
      expect(waiting.stderr).toContain('unable to upgrade connection: container not found ("app")');

      // `lab exec` into a pod does what kubectl exec does; into a node it stays a plain command there.
      const labExec = await lab(['exec', LAB, 'test-dns', '--', 'sh', '-c', 'hostname; grep nameserver /etc/resolv.conf']);
      expect(labExec.stdout).toBe('test-dns\nnameserver 10.96.0.10\n');
      expect((await lab(['exec', LAB, 'test-dns', '--', 'no-such-command'])).code).toBe(126);
      expect((await lab(['exec', LAB, 'node01', '--', 'hostname'])).stdout).toBe(sh(['hostname']));

      // Breaking the pod's DNS configuration breaks what exec sees: the resolv.conf is the pod's.
      const resolv = `/etc/netns/wl-${LAB}.test-dns/resolv.conf`;
      const saved = readFileSync(resolv, 'utf8');
      writeFileSync(resolv, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
      try {
        const broken = await kubectl(['exec', 'test-dns', '--', 'curl', '-s', '--max-time', '3', 'web-service']);
        expect(broken.code).toBe(6); // curl: could not resolve host
      } finally {
        writeFileSync(resolv, saved);
      }
      expect(pods).toContain((await ok(['exec', 'test-dns', '--', 'curl', '-s', 'web-service'])).trim());
    });
  });

  it('kubectl logs of agnhost and CoreDNS (--tail, -f, --previous), and port-forward to a pod then curl on loopback; a rejected kubelet port is an error', async () => {
    await withLab(async () => {
      const [web] = await webPods();
      expect(await ok(['logs', web])).toMatch(/Serving on port 80\./);
      const dnsPods = (await ok(['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-dns', '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ');
      expect(dnsPods).toHaveLength(2);
      for (const p of dnsPods) expect(await ok(['logs', '-n', 'kube-system', p])).toMatch(/^CoreDNS-\d+\.\d+\.\d+$/m);

      // A container that writes, followed; then one that crashes, restarted after kubelet's back-off.
      const tickFile = join(tmp(), 'ticker.yaml');
      writeFileSync(
        tickFile,
        [
          'apiVersion: v1',
          'kind: Pod',
          'metadata: { name: ticker }',
          'spec:',
          '  containers:',
          '    - { name: ticker, image: busybox, command: [sh, -c, "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"] }',
          '---',
          'apiVersion: v1',
          'kind: Pod',
          'metadata: { name: crasher }',
          'spec:',
          '  containers:',
          '    - { name: crasher, image: busybox, command: [sh, -c, "echo run $(cat /proc/sys/kernel/random/uuid); sleep 5; exit 3"] }',
          '',
        ].join('\n'),
      );
      await ok(['apply', '-f', tickFile]);
      await ok(['wait', '--for=condition=Ready', 'pod/ticker', '--timeout=30s']);
      const follow = spawn(KUBECTL, ['logs', '-f', 'ticker'], { env: env() });
      const followed = await until(follow, /tick 12\n/, 15_000, 'kubectl logs -f to reach tick 12');
      follow.kill();
      await exited(follow);
      expect(followed).toMatch(/^tick 0\ntick 1\n/);
      await waitFor(async () => /^tick \d+\n$/.test((await ok(['logs', 'ticker', '--tail=1'])) || ''), 5_000, 'one line with --tail=1');

      // attach to a running container: its output from now on (it reads no stdin: no TTY was asked for).
      const attach = spawn(KUBECTL, ['attach', 'ticker'], { env: env() });
      const attached = await until(attach, /tick \d+\ntick \d+\n/, 10_000, 'kubectl attach output');
      attach.kill();
      await exited(attach);
      expect(attached).not.toMatch(/tick 0\n/);

      await waitFor(
        async () => (await kubectl(['get', 'pod', 'crasher', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}'])).stdout === '1',
        40_000,
        'a restart',
      );
      await waitFor(async () => /^run /.test((await kubectl(['logs', 'crasher'])).stdout), 10_000, 'the new run to write');
      const previous = await ok(['logs', 'crasher', '--previous']);
      const current = await ok(['logs', 'crasher']);
      expect(previous).toMatch(/^run [0-9a-f-]{36}\n$/);
      expect(current).toMatch(/^run [0-9a-f-]{36}\n$/);
      expect(current).not.toBe(previous);
      const noPrevious = await kubectl(['logs', web, '--previous']);
      expect(noPrevious.stderr).toContain(`previous terminated container "web" in pod "${web}" not found`);

      // port-forward: a local port on this machine's loopback to the pod's port 80.
      const pf = spawn(KUBECTL, ['port-forward', `pod/${web}`, ':80'], { env: env() });
      const line = await until(pf, /Forwarding from 127\.0\.0\.1:(\d+) -> 80/, 20_000, 'port-forward to listen');
      const port = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(line)![1];
      for (let i = 0; i < 3; i++) expect(sh(['curl', '-s', '--max-time', '5', `http://127.0.0.1:${port}/`])).toBe(web);
      pf.kill();
      await exited(pf);
      // A port nothing listens on: the kubelet's error reaches kubectl.
      const closed = spawn(KUBECTL, ['port-forward', `pod/${web}`, ':81'], { env: env() });
      const l2 = await until(closed, /Forwarding from 127\.0\.0\.1:(\d+) -> 81/, 20_000, 'port-forward to listen');
      const p2 = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(l2)![1];
      const seen = until(closed, /error forwarding port 81 to pod/, 15_000, 'the forwarding error');
      try {
        sh(['curl', '-s', '--max-time', '5', `http://127.0.0.1:${p2}/`]);
      } catch {
        // curl fails: the connection is reset
      }
      expect(await seen).toMatch(/Connection refused/);
      closed.kill();
      await exited(closed);

      // The kubelet port rejected on node01: the API server cannot reach that kubelet.
      const node = `wl-${LAB}.node01`;
      const rule = ['-p', 'tcp', '--dport', '10250', '-j', 'REJECT', '--reject-with', 'tcp-reset'];
      sh(['ip', 'netns', 'exec', node, 'iptables', '-I', 'INPUT', ...rule]);
      try {
        const refused = await kubectl(['logs', web]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(
          /Get "https:\/\/172\.16\.20\.6:10250\/containerLogs\/default\/web-[^"]+": dial tcp 172\.16\.20\.6:10250: connect: connection refused/,
        );
      } finally {
        sh(['ip', 'netns', 'exec', node, 'iptables', '-D', 'INPUT', ...rule]);
      }
      expect(await ok(['logs', web])).toMatch(/Serving on port 80\./);

      // kubelet asks the API server who may call it (webhook authorization, nodes/proxy): a
      // certificate of the cluster's CA for a user without rights is refused by node01's kubelet
      // itself; bound to system:kubelet-api-admin, the same kind of certificate reads the log.
      await ok(['create', 'clusterrolebinding', 'carol-kubelet', '--clusterrole=system:kubelet-api-admin', '--user=carol']);
      const eve = callKubelet('eve', `/containerLogs/default/${web}/web`);
      expect(eve).toEqual({ status: '403', body: 'Forbidden (user=eve, verb=get, resource=nodes, subresource(s)=[proxy])\n' });
      const carol = callKubelet('carol', `/containerLogs/default/${web}/web`);
      expect(carol.status).toBe('200');
      expect(carol.body).toMatch(/Serving on port 80\./);
      // exec is a POST: `create` on nodes/proxy.
      expect(callKubelet('eve', `/exec/default/${web}/web?command=hostname&output=1`, 'POST').body).toContain('user=eve, verb=create, resource=nodes');
    });
  });

  it('kubectl run -it --rm netshoot -- sh in a pseudo-terminal: nslookup web-service answers with its ClusterIP, the exit code comes back, the pod goes', async () => {
    await withLab(async () => {
      await ok(['expose', 'deployment', 'web', '--name=web-service', '--port=80', `--cluster-ip=${CLUSTER_IP}`]);
      // kubectl exec -it: a terminal of the command's own, the size of kubectl's.
      const execTty = spawn('script', ['-qfec', `stty cols 100 rows 30; exec ${KUBECTL} exec -it test-dns -- sh -c 'stty size; tty; exit 4'`, '/dev/null'], {
        env: env(),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const execDone = exited(execTty);
      const ttyOut = await until(execTty, /\/dev\/pts\/\d+/, 15_000, 'the terminal of kubectl exec -it');
      expect(ttyOut).toMatch(/^30 100\r$/m);
      expect(await execDone).toBe(4);

      // script(1) gives kubectl a terminal; what is written to script's stdin is typed into it.
      const cmd = `stty cols 120 rows 40; exec ${KUBECTL} run -it --rm --image=nicolaka/netshoot --restart=Never test-dns2 -- sh`;
      const term = spawn('script', ['-qfec', cmd, '/dev/null'], { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
      await until(term, /If you don't see a command prompt, try pressing enter\./, 40_000, 'the attach banner');
      term.stdin!.write('\n');
      await until(term, /# $/m, 10_000, 'the prompt');
      term.stdin!.write('stty size; hostname; nslookup web-service\n');
      const out = await until(term, /Address: \d+\.\d+\.\d+\.\d+\s/, 15_000, 'the nslookup answer');
      expect(out).toMatch(/^40 120\r$/m);
      expect(out).toMatch(/^test-dns2\r$/m);
      expect(out).toMatch(/^Name:\s+web-service\.default\.svc\.cluster\.local\r$/m);
      expect(out).toContain(`Address: ${CLUSTER_IP}`);
      const done = exited(term);
      term.stdin!.write('exit 3\n');
      expect(await done).toBe(3);
      // --rm: kubectl deleted the pod; its namespace goes with it.
      await waitFor(async () => (await kubectl(['get', 'pod', 'test-dns2'])).code !== 0, 20_000, 'test-dns2 to be deleted');
      await waitFor(() => !sh(['ip', 'netns', 'list']).includes(`wl-${LAB}.test-dns2`), 20_000, "test-dns2's namespace to go");
    });
  });
});
