#!/usr/bin/env bash
# A NAT testbed in network namespaces (Linux, root): a "public" network and four private
# networks behind Linux NAT routers: two cone-like, two symmetric.
#
#   barn-h1 (192.168.1.2) -- barn-nat1 [MASQUERADE: cone-like]      (10.81.0.2) --+
#                                                                                 barn-pub (router; public hosts
#   barn-h2 (192.168.2.2) -- barn-nat2 [MASQUERADE --random-fully:  (10.82.0.2) --+  10.71.0.1 .. 10.79.0.1)
#                                        symmetric]                               |
#   barn-h3 (192.168.3.2) -- barn-nat3 [MASQUERADE: cone-like]      (10.83.0.2) --+
#                                                                                 |
#   barn-h4 (192.168.4.2) -- barn-nat4 [MASQUERADE --random-fully   (10.84.0.2) --+
#                                        --to-ports 20000-20999: symmetric, one port block]
#
# Every public address is in a /16 of its own, as hosts on the internet mostly are: nodes
# count witnesses and rate-limit per /16.
#
# Cone-like: Linux MASQUERADE keeps a flow's source port when it is free, so one socket has
# one public mapping whoever it talks to (endpoint-independent mapping); inbound packets pass
# only from endpoints the socket contacted (conntrack filtering). Symmetric: --random-fully
# gives every new destination its own public port, from the whole range (nat2) or from one
# block of 1,000 ports (nat4, as carrier-grade NATs allocate per subscriber). Nothing leaves
# these namespaces: they have no route to the host's networks.
#
# BARN_NETNS_RATE (e.g. 50mbit): each NAT's link to the public network carries at most this
# much each way (a token bucket on both ends of the veth), as a home uplink would: benchmarks
# measure where the network, not the CPU, is the limit. Unset: no limit.
#
# Usage: test/nat/testbed.sh up | down | status
set -euo pipefail
PREFIX="${BARN_NETNS_PREFIX:-barn}"
PUB="$PREFIX-pub"
ns() { ip netns exec "$1" "${@:2}"; }

down() {
  for n in h1 h2 h3 h4 nat1 nat2 nat3 nat4 pub; do
    ip netns del "$PREFIX-$n" 2>/dev/null || true
  done
}

up() {
  down
  for n in h1 h2 h3 h4 nat1 nat2 nat3 nat4 pub; do
    ip netns add "$PREFIX-$n"
    ns "$PREFIX-$n" ip link set lo up
  done
  # The public network: barn-pub routes between the NAT routers and holds the public hosts'
  # addresses 10.71.0.1 .. 10.79.0.1 (on its loopback interface: no dummy device needed).
  for i in 1 2 3 4 5 6 7 8 9; do
    ns "$PUB" ip addr add "10.7$i.0.1/32" dev lo
  done
  ns "$PUB" sysctl -qw net.ipv4.ip_forward=1
  for k in 1 2 3 4; do
    local nat="$PREFIX-nat$k" host="$PREFIX-h$k"
    ip link add "p$k" netns "$PUB" type veth peer name "o$k" netns "$nat"
    ns "$PUB" ip addr add "10.8$k.0.1/24" dev "p$k"
    ns "$PUB" ip link set "p$k" up
    ns "$nat" ip addr add "10.8$k.0.2/24" dev "o$k"
    ns "$nat" ip link set "o$k" up
    ns "$nat" ip route add default via "10.8$k.0.1"
    if [ -n "${BARN_NETNS_RATE:-}" ]; then
      ns "$PUB" tc qdisc add dev "p$k" root tbf rate "$BARN_NETNS_RATE" burst 64kb latency 100ms
      ns "$nat" tc qdisc add dev "o$k" root tbf rate "$BARN_NETNS_RATE" burst 64kb latency 100ms
    fi
    ip link add "i$k" netns "$nat" type veth peer name "e$k" netns "$host"
    ns "$nat" ip addr add "192.168.$k.1/24" dev "i$k"
    ns "$nat" ip link set "i$k" up
    ns "$host" ip addr add "192.168.$k.2/24" dev "e$k"
    ns "$host" ip link set "e$k" up
    ns "$host" ip route add default via "192.168.$k.1"
    ns "$nat" sysctl -qw net.ipv4.ip_forward=1
    # Nothing unsolicited gets in: only replies to what the inside sent. Like most home
    # routers, the NAT drops the rest silently, including what is addressed to itself.
    ns "$nat" iptables -A FORWARD -i "o$k" -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
    ns "$nat" iptables -A FORWARD -i "o$k" -j DROP
    ns "$nat" iptables -A INPUT -i "o$k" -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
    ns "$nat" iptables -A INPUT -i "o$k" -j DROP
  done
  ns "$PREFIX-nat1" iptables -t nat -A POSTROUTING -o o1 -j MASQUERADE
  ns "$PREFIX-nat2" iptables -t nat -A POSTROUTING -o o2 -j MASQUERADE --random-fully
  ns "$PREFIX-nat3" iptables -t nat -A POSTROUTING -o o3 -j MASQUERADE
  for proto in tcp udp; do
    ns "$PREFIX-nat4" iptables -t nat -A POSTROUTING -o o4 -p "$proto" -j MASQUERADE --to-ports 20000-20999 --random-fully
  done
  ns "$PREFIX-nat4" iptables -t nat -A POSTROUTING -o o4 -j MASQUERADE --random-fully
}

status() {
  for n in pub nat1 nat2 nat3 nat4 h1 h2 h3 h4; do
    echo "== $PREFIX-$n"
    ns "$PREFIX-$n" ip -brief addr 2>/dev/null || echo "(absent)"
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up | down | status" >&2; exit 64 ;;
esac
