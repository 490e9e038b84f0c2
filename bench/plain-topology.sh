#!/usr/bin/env bash
# The baseline for `npm run bench`: the same topology the harness builds for a flannel-vxlan lab
# with 3 nodes and N pods (underlay switch, node addresses, cni0, pod veths created directly in
# the pod namespace, flannel.1 with neighbour/FDB/route per remote node, sysctls, flanneld's
# iptables chains, kubelet's own chains), written as a plain script: one `ip -batch` per namespace, in sequence.
# Usage: plain-topology.sh up|down PODS PREFIX
set -euo pipefail
action=$1 pods=$2 p=$3
nodes=(cp1 w1 w2)
ips=(10.10.20.3 10.10.20.4 10.10.20.5)
subnets=(2 0 1) # cp1 10.8.2.0/24, w1 10.8.0.0/24, w2 10.8.1.0/24
macs=(02:00:00:00:00:03 02:00:00:00:00:04 02:00:00:00:00:05)
# pod i lives on w1 or w2 alternately
podnode() { echo $(( 1 + $1 % 2 )); }

if [[ $action == down ]]; then
  { echo "netns del $p.underlay"; for n in "${nodes[@]}"; do echo "netns del $p.$n"; done
    for ((i = 0; i < pods; i++)); do echo "netns del $p.pod$i"; done; } | ip -force -batch -
  rm -rf /etc/netns/"$p".*
  exit 0
fi

{ echo "netns add $p.underlay"; for n in "${nodes[@]}"; do echo "netns add $p.$n"; done
  for ((i = 0; i < pods; i++)); do echo "netns add $p.pod$i"; done; } | ip -batch -

nsenter --net="/run/netns/$p.underlay" sysctl -q -w net.bridge.bridge-nf-call-iptables=0
{ echo "link set lo up"; echo "link add br0 mtu 1500 type bridge"
  for k in 0 1 2; do
    echo "link add p-${nodes[k]} mtu 1500 type veth peer name eth0 mtu 1500 netns $p.${nodes[k]}"
    echo "link set p-${nodes[k]} master br0 up"
  done
  echo "link set br0 up"; } | ip -n "$p.underlay" -batch -

for k in 0 1 2; do
  ns=$p.${nodes[k]} s=${subnets[k]}
  nsenter --net="/run/netns/$ns" sysctl -q -w net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
  { echo "link set lo up"; echo "addr add ${ips[k]}/22 dev eth0"; echo "link set eth0 up"
    echo "link add cni0 mtu 1450 type bridge"; echo "addr add 10.8.$s.1/24 dev cni0"; echo "link set cni0 up"
    for ((i = 0; i < pods; i++)); do
      [[ $(podnode $i) == "$k" ]] || continue
      echo "link add vethp$i mtu 1450 type veth peer name eth0 mtu 1450 netns $p.pod$i"
      echo "link set vethp$i master cni0 up"
      echo "link set vethp$i type bridge_slave hairpin on"
    done
    echo "link add flannel.1 address ${macs[k]} mtu 1450 type vxlan id 1 local ${ips[k]} dev eth0 dstport 8472 nolearning"
    echo "addr add 10.8.$s.0/32 dev flannel.1"; echo "link set flannel.1 up"
    for r in 0 1 2; do [[ $r == "$k" ]] || echo "neigh replace 10.8.${subnets[r]}.0 lladdr ${macs[r]} dev flannel.1 nud permanent"; done
  } | ip -n "$ns" -batch -
  for r in 0 1 2; do [[ $r == "$k" ]] || echo "fdb replace ${macs[r]} dev flannel.1 dst ${ips[r]} self permanent"; done | bridge -n "$ns" -batch -
  for r in 0 1 2; do [[ $r == "$k" ]] || echo "route replace 10.8.${subnets[r]}.0/24 via 10.8.${subnets[r]}.0 dev flannel.1 onlink"; done | ip -n "$ns" -batch -
  nsenter --net="/run/netns/$ns" iptables-restore --noflush <<'RULES'
*mangle
:KUBE-IPTABLES-HINT - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
COMMIT
*nat
:KUBE-KUBELET-CANARY - [0:0]
COMMIT
*filter
:KUBE-FIREWALL - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
-I OUTPUT -j KUBE-FIREWALL
-I INPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
COMMIT
RULES
  nsenter --net="/run/netns/$ns" iptables-restore --noflush <<RULES
*nat
:FLANNEL-POSTRTG - [0:0]
-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG
-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "flanneld masq" -j RETURN
-A FLANNEL-POSTRTG -s 10.8.$s.0/24 -d 10.8.0.0/16 -m comment --comment "flanneld masq" -j RETURN
-A FLANNEL-POSTRTG -s 10.8.0.0/16 -d 10.8.$s.0/24 -m comment --comment "flanneld masq" -j RETURN
-A FLANNEL-POSTRTG ! -s 10.8.0.0/16 -d 10.8.$s.0/24 -m comment --comment "flanneld masq" -j RETURN
-A FLANNEL-POSTRTG -s 10.8.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully
-A FLANNEL-POSTRTG ! -s 10.8.0.0/16 -d 10.8.0.0/16 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully
COMMIT
*filter
:FLANNEL-FWD - [0:0]
-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD
-A FLANNEL-FWD -s 10.8.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT
-A FLANNEL-FWD -d 10.8.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT
COMMIT
RULES
done

# Each pod's resolv.conf, as kubelet writes it (the harness does too): one mkdir, then builtins.
dirs=(); for ((i = 0; i < pods; i++)); do dirs+=("/etc/netns/$p.pod$i"); done
mkdir -p "${dirs[@]}"
for ((i = 0; i < pods; i++)); do
  printf 'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n' > "/etc/netns/$p.pod$i/resolv.conf"
done

for ((i = 0; i < pods; i++)); do
  k=$(podnode $i) s=${subnets[$(podnode $i)]}
  printf '%s\n' "link set lo up" "addr add 10.8.$s.$((10 + i / 2))/24 dev eth0" "link set eth0 up" \
    "route add 10.8.0.0/16 via 10.8.$s.1 dev eth0" "route add default via 10.8.$s.1 dev eth0" | ip -n "$p.pod$i" -batch -
done
