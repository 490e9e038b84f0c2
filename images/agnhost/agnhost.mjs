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
  if (flags.protocol === 'udp') return connectUdp(target);
  const i = target.lastIndexOf(':');
  const host = target.slice(0, i);
  const port = Number(target.slice(i + 1));
  const timeoutMs = Number(String(flags.timeout ?? '3s').replace(/s$/, '')) * 1000;
  await new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let data = '';
    let idle;
    const finish = () => {
      clearTimeout(idle);
      process.stdout.write(data);
      sock.destroy();
      resolve();
    };
    const fail = (why) => {
      clearTimeout(idle);
      console.error(why);
      process.exitCode = 1;
      sock.destroy();
      resolve();
    };
    sock.setTimeout(timeoutMs, () => fail(`TIMEOUT: no connection to ${target} within ${timeoutMs} ms`));
    // Like upstream agnhost connect, success is the connection itself; a server that speaks
    // first (serve-hostname --tcp) has its words printed, one that waits (HTTP) is left alone.
    sock.on('connect', () => {
      sock.setTimeout(0);
      idle = setTimeout(finish, 300);
    });
    sock.on('data', (d) => (data += d));
    sock.on('end', finish);
    sock.on('error', (e) => fail(e.code === 'ECONNREFUSED' ? `REFUSED: ${target}` : `${e.code ?? 'ERROR'}: ${e.message}`));
  });
}

// connect --protocol=udp: one datagram, success when an answer comes back (serve-hostname --udp).
async function connectUdp(target) {
  const i = target.lastIndexOf(':');
  const timeoutMs = Number(String(flags.timeout ?? '3s').replace(/s$/, '')) * 1000;
  const sock = dgram.createSocket('udp4');
  await new Promise((resolve) => {
    const timer = setTimeout(() => {
      console.error(`TIMEOUT: no answer from ${target} within ${timeoutMs} ms`);
      process.exitCode = 1;
      resolve();
    }, timeoutMs);
    sock.on('message', (m) => {
      clearTimeout(timer);
      process.stdout.write(m);
      resolve();
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      console.error(`${e.code ?? 'ERROR'}: ${e.message}`);
      process.exitCode = 1;
      resolve();
    });
    sock.send('hostname', Number(target.slice(i + 1)), target.slice(0, i));
  });
  sock.close();
}

const commands = { 'serve-hostname': serveHostname, connect };
if (!commands[cmd]) {
  console.error(`agnhost: unknown command "${cmd}"; known: ${Object.keys(commands).join(', ')}`);
  process.exit(2);
}
process.on('SIGTERM', () => process.exit(0));
await commands[cmd]();
