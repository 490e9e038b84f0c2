// CoreDNS in the lab: the cluster's kube-dns pod runs real CoreDNS (.wirelab/bin/coredns, built
// by scripts/build-coredns.sh) with the Corefile from its ConfigMap, as kubelet mounts it; the
// lab's "internet" DNS server is a second CoreDNS answering a few names with the hosts plugin.

/** kubeadm's Corefile (kubernetes/kubernetes cmd/kubeadm/app/phases/addons/dns/manifests.go,
 * CoreDNSConfigMap) for a cluster domain, with the upstream kubeadm passes: /etc/resolv.conf.
 * A lab whose nodes have no resolver (no DNS server on its internet) has nothing to forward to:
 * CoreDNS refuses to start with an empty /etc/resolv.conf, so the forward block (and loop,
 * which probes through it) is left out and names outside the cluster get no answer. */
export function kubeadmCorefile(domain = 'cluster.local', upstream = true): string {
  const forward = upstream
    ? `    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
`
    : '';
  return `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes ${domain} in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
${forward}    cache 30 {
       disable success ${domain}
       disable denial ${domain}
    }
${upstream ? '    loop\n' : ''}    reload
    loadbalance
}
`;
}

/** A CoreDNS pod finds the API server through its service account (in-cluster config); the lab
 * has none, so every `kubernetes` block gets the lab's kubeconfig as its first line — the one
 * change to the Corefile a lab file gives. */
export function withKubeconfig(corefile: string, kubeconfig: string, context: string): string {
  const line = `kubeconfig ${kubeconfig} ${context}`;
  return corefile.replace(/^(\s*)kubernetes([^{\n]*)(\{)?[ \t]*$/gm, (_all, indent: string, zones: string, brace: string | undefined) =>
    brace ? `${indent}kubernetes${zones}{\n${indent}   ${line}` : `${indent}kubernetes${zones.trimEnd()} {\n${indent}   ${line}\n${indent}}`,
  );
}

/** The internet DNS server: authoritative-looking answers for a few names, NXDOMAIN for the rest. */
export function internetCorefile(records: Record<string, string>): string {
  const lines = Object.entries(records)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, ip]) => `        ${ip} ${name}`);
  return `.:53 {
    log
    errors
    hosts {
${lines.join('\n')}
    }
}
`;
}
