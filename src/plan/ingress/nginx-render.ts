// nginx.conf text from a plan, following kubernetes/ingress-nginx (commit dbb11b92, 2026-03):
// - template.go buildLocation (`location = "..."` for Exact, quoted paths, sanitizeQuotedRegex).
// - rootfs/etc/nginx/template/nginx.tmpl and config/config.go defaults: log_format upstreaminfo,
//   the $connection_upgrade and $req_id maps, $literal_dollar, proxy_set_header Host
//   $best_http_host (= $http_host), X-Request-ID, X-Real-IP, X-Forwarded-For $remote_addr
//   (compute-full-forwarded-for off), X-Forwarded-Host/-Port/-Proto/-Scheme, X-Scheme,
//   X-Original-Forwarded-For/-Host, Proxy ""; proxy timeouts 5s/60s/60s, buffering off, HTTP/1.1,
//   next upstream "error timeout" x3; upstream keepalive 320/1h/60s/10000; ssl protocols,
//   ciphers and session cache; client_max_body_size 1m; server_tokens off.
// - lua_ingress.lua redirect_to_https (ssl-redirect, default true): a 308 to https for hosts
//   with their own certificate, with a trailing "/" of the request URI dropped
//   (preserve-trailing-slash false).
import type { NginxConfInput } from './types.js';
import { DEFAULT_UPSTREAM, type LocationAction, type NginxPlan, type PlanLocation, type PlanServer } from './nginx-plan.js';
import { headerVariable, nginxQuote, quoteValue } from './nginx-upstreams.js';

// ---- rendering -----------------------------------------------------------------------------------------

const LOG_FORMAT_UPSTREAM =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id';

const SSL_CIPHERS =
  'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256';

const UPSTREAM_KEEPALIVE_COMMENT = 'keepalive as ingress-nginx upstream_balancer';

function actionTarget(a: LocationAction): string {
  return a.kind === 'proxy' ? a.upstream : `!${a.status}`;
}

function renderLocation(loc: PlanLocation): string[] {
  const I = '            ';
  const out = [`        location ${loc.exact ? '= ' : ''}${nginxQuote(loc.path)} {`];
  for (const c of loc.candidates) out.push(`${I}# ${c.source}`);
  // Candidates below the first one without headers can never win.
  const firstPlain = loc.candidates.findIndex((c) => c.headers.length === 0);
  const live = firstPlain < 0 ? loc.candidates : loc.candidates.slice(0, firstPlain + 1);
  if (live.length === 0) {
    out.push(`${I}set $proxy_upstream_name "-";`, `${I}return 404;`, '        }');
    return out;
  }
  if (live.length === 1 && live[0].headers.length === 0) {
    const a = live[0].action;
    if (a.kind === 'return') out.push(`${I}set $proxy_upstream_name ${nginxQuote(a.status === 404 ? DEFAULT_UPSTREAM : '-')};`, `${I}return ${a.status};`);
    else out.push(`${I}set $proxy_upstream_name ${nginxQuote(a.upstream)};`, `${I}proxy_pass http://${a.upstream};`);
    out.push('        }');
    return out;
  }
  // Header matches: evaluate from the lowest precedence up, each match overriding the target,
  // with only rewrite-module directives inside `if` (the safe use of if in a location).
  const hasFallback = firstPlain >= 0;
  if (!hasFallback) out.push(`${I}set $wl_target "";`);
  for (const c of [...live].reverse()) {
    const target = actionTarget(c.action);
    if (c.headers.length === 0) {
      out.push(`${I}set $wl_target ${nginxQuote(target)};`);
      continue;
    }
    const vars = c.headers.map((h) => ({ h, v: headerVariable(h.name)! }));
    if (c.headers.length === 1) {
      out.push(`${I}if (${vars[0].v} = ${quoteValue(c.headers[0].value)}) { set $wl_target ${nginxQuote(target)}; }`);
      continue;
    }
    out.push(`${I}set $wl_hits "";`);
    for (const { h, v } of vars) out.push(`${I}if (${v} = ${quoteValue(h.value)}) { set $wl_hits "\${wl_hits}x"; }`);
    out.push(`${I}if ($wl_hits = "${'x'.repeat(c.headers.length)}") { set $wl_target ${nginxQuote(target)}; }`);
  }
  out.push(`${I}set $proxy_upstream_name $wl_target;`);
  if (!hasFallback) out.push(`${I}if ($wl_target = "") { return 404; }`);
  const statuses = [...new Set(live.filter((c) => c.action.kind === 'return').map((c) => (c.action as { status: number }).status))].sort();
  for (const st of statuses) out.push(`${I}if ($wl_target = "!${st}") { return ${st}; }`);
  if (live.some((c) => c.action.kind === 'proxy')) out.push(`${I}proxy_pass http://$wl_target;`);
  else out.push(`${I}return 404;`);
  out.push('        }');
  return out;
}

function renderServer(s: PlanServer): string[] {
  const out = [`    ## start server ${s.hostname} (${s.origin})`, '    server {'];
  out.push(`        server_name ${s.serverNames.map(nginxQuote).join(' ')};`);
  for (const l of s.listens) out.push(`        listen ${l.port}${l.defaultServer ? ' default_server' : ''}${l.ssl ? ' ssl' : ''};`);
  out.push('', '        set $proxy_upstream_name "-";', '        set $proxy_alternative_upstream_name "";');
  if (s.listens.some((l) => l.ssl)) {
    if (s.rejectHandshake)
      out.push('        # no certificate for unknown names: refuse TLS (ingress-nginx would present its fake certificate)', '        ssl_reject_handshake on;');
    else if (s.cert) out.push(`        ssl_certificate ${s.cert.cert};`, `        ssl_certificate_key ${s.cert.key};`);
  }
  if (s.sslRedirect) {
    out.push('        # ssl-redirect (lua_ingress.lua redirect_to_https): http -> https, 308');
    out.push('        if ($scheme = "http") { return 308 https://$host$redirect_uri_no_slash; }');
  }
  out.push('');
  for (const loc of s.locations) out.push(...renderLocation(loc), '');
  out.push('    }', `    ## end server ${s.hostname}`, '');
  return out;
}

/** The longest server name decides server_names_hash_bucket_size (a power of two, >= 64). */
function bucketSize(plan: NginxPlan): number {
  const longest = Math.max(0, ...plan.servers.flatMap((s) => s.serverNames.map((n) => n.length)));
  let size = 64;
  while (size < longest + 2) size *= 2;
  return size;
}

/** nginx.conf from an already computed plan. */
export function renderPlan(plan: NginxPlan, input: Pick<NginxConfInput, 'stateDir' | 'defaultCertificate'>): string {
  const dir = input.stateDir.replace(/\/$/, '');
  const warnings = plan.warnings;
  const body: string[] = [];
  for (const s of plan.servers) body.push(...renderServer(s));
  const out: string[] = [
    '# Generated by wirelab src/plan/ingress/nginx-conf.ts, following ingress-nginx nginx.tmpl.',
    `# Run as root in the ingress namespace: nginx -c <this file> -g 'daemon off;'`,
    '# worker_processes 1: one smooth weighted round robin state, so the backend sequence is deterministic.',
    'user root;',
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log notice;`,
    '',
    'events {',
    '    worker_connections 1024;',
    '    multi_accept on;',
    '}',
    '',
    'http {',
    `    client_body_temp_path ${dir}/client-body;`,
    `    proxy_temp_path ${dir}/proxy-temp;`,
    `    fastcgi_temp_path ${dir}/fastcgi-temp;`,
    `    uwsgi_temp_path ${dir}/uwsgi-temp;`,
    `    scgi_temp_path ${dir}/scgi-temp;`,
    '',
    '    sendfile on;',
    '    tcp_nopush on;',
    '    tcp_nodelay on;',
    '    reset_timedout_connection on;',
    '    keepalive_timeout 75s;',
    '    keepalive_requests 1000;',
    '    client_max_body_size 1m;',
    '    server_tokens off;',
    '    server_names_hash_max_size 1024;',
    `    server_names_hash_bucket_size ${bucketSize(plan)};`,
    '    underscores_in_headers off;',
    '    ignore_invalid_headers on;',
    '    default_type text/html;',
    '',
    `    log_format upstreaminfo '${LOG_FORMAT_UPSTREAM}';`,
    `    access_log ${dir}/access.log upstreaminfo;`,
    `    error_log ${dir}/error.log notice;`,
    '',
    '    map $http_upgrade $connection_upgrade {',
    '        default upgrade;',
    "        ''      '';",
    '    }',
    '    map $http_x_request_id $req_id {',
    '        default $http_x_request_id;',
    '        ""      $request_id;',
    '    }',
    '    # ingress-nginx sets these per location ($best_http_host = $http_host, ...).',
    '    map $http_host $best_http_host { default $http_host; }',
    '    map $scheme $pass_access_scheme { default $scheme; }',
    '    map $server_port $pass_port { default $server_port; }',
    '    map $request_uri $redirect_uri_no_slash {',
    '        "~^(?<wl_uri>.*)/$" $wl_uri;',
    '        default $request_uri;',
    '    }',
    '    geo $literal_dollar { default "$"; }',
    '',
    '    server_name_in_redirect off;',
    '    port_in_redirect off;',
    '',
    '    ssl_protocols TLSv1.2 TLSv1.3;',
    '    ssl_session_cache shared:SSL:10m;',
    '    ssl_session_timeout 10m;',
    '    ssl_session_tickets off;',
    '    ssl_buffer_size 4k;',
    `    ssl_ciphers '${SSL_CIPHERS}';`,
    '    ssl_prefer_server_ciphers on;',
    '    ssl_ecdh_curve auto;',
    ...(input.defaultCertificate ? [`    ssl_certificate ${input.defaultCertificate.cert};`, `    ssl_certificate_key ${input.defaultCertificate.key};`] : []),
    '',
    '    proxy_set_header Host $best_http_host;',
    '    proxy_set_header Upgrade $http_upgrade;',
    '    proxy_set_header Connection $connection_upgrade;',
    '    proxy_set_header X-Request-ID $req_id;',
    '    proxy_set_header X-Real-IP $remote_addr;',
    '    proxy_set_header X-Forwarded-For $remote_addr;',
    '    proxy_set_header X-Forwarded-Host $best_http_host;',
    '    proxy_set_header X-Forwarded-Port $pass_port;',
    '    proxy_set_header X-Forwarded-Proto $pass_access_scheme;',
    '    proxy_set_header X-Forwarded-Scheme $pass_access_scheme;',
    '    proxy_set_header X-Scheme $pass_access_scheme;',
    '    proxy_set_header X-Original-Forwarded-For $http_x_forwarded_for;',
    '    proxy_set_header X-Original-Forwarded-Host $http_x_forwarded_host;',
    '    proxy_set_header Proxy "";',
    '    proxy_connect_timeout 5s;',
    '    proxy_send_timeout 60s;',
    '    proxy_read_timeout 60s;',
    '    proxy_buffering off;',
    '    proxy_buffer_size 4k;',
    '    proxy_buffers 4 4k;',
    '    proxy_max_temp_file_size 1024m;',
    '    proxy_request_buffering on;',
    '    proxy_http_version 1.1;',
    '    proxy_cookie_domain off;',
    '    proxy_cookie_path off;',
    '    proxy_redirect off;',
    '    proxy_next_upstream error timeout;',
    '    proxy_next_upstream_timeout 0;',
    '    proxy_next_upstream_tries 3;',
    '',
  ];
  for (const u of plan.upstreams) {
    out.push(`    upstream ${u.name} {`);
    for (const c of u.comments) out.push(`        # ${c}`);
    for (const s of u.servers) out.push(`        server ${s.address}${s.weight !== undefined ? ` weight=${s.weight}` : ''} max_fails=0;`);
    out.push(
      `        # ${UPSTREAM_KEEPALIVE_COMMENT}`,
      '        keepalive 320;',
      '        keepalive_time 1h;',
      '        keepalive_timeout 60s;',
      '        keepalive_requests 10000;',
      '    }',
      '',
    );
  }
  for (const { status, path } of plan.statusSockets) {
    out.push(
      `    # answers ${status} for the share of an invalid backendRef (Gateway API)`,
      '    server {',
      `        listen unix:${path};`,
      '        set $proxy_upstream_name "internal";',
      '        set $proxy_alternative_upstream_name "";',
      `        location / { return ${status}; }`,
      '    }',
      '',
    );
  }
  out.push(...body);
  out.push('}', '');
  if (warnings.length > 0) out.push(...warnings.map((w) => `# warning: ${w}`), '');
  return out.join('\n');
}
