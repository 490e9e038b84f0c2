#!/usr/bin/env node
// A small stand-in for Kubernetes' e2e test image agnhost (kubernetes/kubernetes
// test/images/agnhost), run as a container process inside a pod's network namespace.
// Implemented: `serve-hostname` with agnhost's flags (--port, default 9376; --http, default
// true; --tcp; --udp), answering with the pod's name as agnhost answers with os.Hostname().
// Plain JavaScript without dependencies so that a pod's container starts in ~40 ms.
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';

const [cmd, ...rest] = process.argv.slice(2);
const flags = {};
for (const a of rest) {
  const m = /^--?([^=]+)(?:=(.*))?$/.exec(a);
  if (m) flags[m[1]] = m[2] ?? 'true';
}
const hostname = process.env.WIRELAB_HOSTNAME || (await import('node:os')).hostname();
const bool = (v, d) => (v === undefined ? d : v !== 'false');

function ready() {
  if (process.env.WIRELAB_READY_FILE) writeFileSync(process.env.WIRELAB_READY_FILE, `${process.pid}\n`);
}

async function serveHostname() {
  const port = Number(flags.port ?? 9376);
  const waits = [];
  if (bool(flags.http, true) && !bool(flags.tcp, false)) {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(hostname);
    });
    waits.push(new Promise((r) => server.listen(port, '0.0.0.0', r)));
  }
  if (bool(flags.tcp, false)) {
    const server = net.createServer((s) => s.end(hostname));
    waits.push(new Promise((r) => server.listen(port, '0.0.0.0', r)));
  }
  if (bool(flags.udp, false)) {
    const sock = dgram.createSocket('udp4');
    sock.on('message', (_m, rinfo) => sock.send(hostname, rinfo.port, rinfo.address));
    waits.push(new Promise((r) => sock.bind(port, '0.0.0.0', r)));
  }
  await Promise.all(waits);
  ready();
}

// agnhost connect: open a TCP connection to host:port; print what the server sends; exit 0 on
// success, 1 with the error otherwise (agnhost's connect reports "REFUSED"/"TIMEOUT" likewise).
async function connect() {
  const target = rest.find((a) => !a.startsWith('-')) ?? '';
  const i = target.lastIndexOf(':');
  const host = target.slice(0, i);
  const port = Number(target.slice(i + 1));
  const timeoutMs = Number(String(flags.timeout ?? '3s').replace(/s$/, '')) * 1000;
  await new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let data = '';
    const fail = (why) => {
      console.error(why);
      process.exitCode = 1;
      sock.destroy();
      resolve();
    };
    sock.setTimeout(timeoutMs, () => fail(`TIMEOUT: no answer from ${target} within ${timeoutMs} ms`));
    sock.on('data', (d) => (data += d));
    sock.on('end', () => {
      process.stdout.write(data);
      resolve();
    });
    sock.on('error', (e) => fail(e.code === 'ECONNREFUSED' ? `REFUSED: ${target}` : `${e.code ?? 'ERROR'}: ${e.message}`));
  });
}

const commands = { 'serve-hostname': serveHostname, connect };
if (!commands[cmd]) {
  console.error(`agnhost: unknown command "${cmd}"; known: ${Object.keys(commands).join(', ')}`);
  process.exit(2);
}
process.on('SIGTERM', () => process.exit(0));
await commands[cmd]();
