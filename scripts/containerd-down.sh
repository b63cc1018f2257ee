#!/usr/bin/env bash
# Undo scripts/containerd-up.sh: kill and delete every task and container of the
# lab's containerd, stop it (by its recorded PID, or by its exact command line),
# unmount and delete the lab directory, drop the bridge, the CNI results and the
# empty cgroups it left, and restore net.ipv4.ip_forward. Safe to run again.
# Env: STATELET_CONTAINERD_DIR (default /tmp/statelet-containerd), STATELET_CONTAINERD_BRIDGE.
set -uo pipefail

LAB=${STATELET_CONTAINERD_DIR:-/tmp/statelet-containerd}
SOCK="$LAB/containerd.sock"
log() { printf '[containerd-down %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf '[containerd-down] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] || die "containerd needs Linux (this is $(uname -s))"
[ "$(id -u)" = 0 ] || die "must run as root; uid is $(id -u)"
case "$LAB" in
  /*) ;;
  *) die "STATELET_CONTAINERD_DIR must be an absolute path (got '$LAB')" ;;
esac
LAB=${LAB%/}
[ -n "$LAB" ] && [ "$LAB" != / ] || die "refusing to use / as the lab dir"

BRIDGE=${STATELET_CONTAINERD_BRIDGE:-}
[ -z "$BRIDGE" ] && [ -f "$LAB/bridge" ] && BRIDGE=$(cat "$LAB/bridge")
BRIDGE=${BRIDGE:-statelet0}

PID=""
[ -f "$LAB/containerd.pid" ] && PID=$(cat "$LAB/containerd.pid")
# "alive" = that PID is still *this lab's* containerd (guards against PID reuse)
alive() {
  [ -n "$PID" ] && [ -r "/proc/$PID/cmdline" ] &&
    tr '\0' ' ' 2>/dev/null <"/proc/$PID/cmdline" | grep -q -- "containerd --config $LAB/config.toml"
}
if ! alive; then
  PID=""
  for p in /proc/[0-9]*; do
    [ "$(tr '\0' ' ' 2>/dev/null <"$p/cmdline")" = "containerd --config $LAB/config.toml " ] && PID=${p#/proc/} && break
  done
  [ -n "$PID" ] && alive && log "containerd found by its command line: pid $PID"
fi

# 1. Through containerd: SIGKILL and delete tasks, then containers, so the
#    shims exit cleanly and unmount the rootfs themselves.
if alive && [ -S "$SOCK" ]; then
  CTR=(ctr --address "$SOCK" -n k8s.io)
  ids=$("${CTR[@]}" tasks ls -q 2>/dev/null)
  for id in $ids; do "${CTR[@]}" tasks kill -s SIGKILL "$id" >/dev/null 2>&1; done
  for id in $ids; do
    for _ in $(seq 1 50); do
      "${CTR[@]}" tasks ls 2>/dev/null | awk -v i="$id" '$1==i{print $3}' | grep -q RUNNING || break
      sleep 0.1
    done
    "${CTR[@]}" tasks rm -f "$id" >/dev/null 2>&1
  done
  for id in $("${CTR[@]}" containers ls -q 2>/dev/null); do "${CTR[@]}" containers rm "$id" >/dev/null 2>&1; done
  log "removed $(printf '%s\n' "$ids" | grep -c .) tasks"
fi

# 2. Stop containerd itself (about 2 s on SIGTERM).
if alive; then
  kill -TERM "$PID"
  for _ in $(seq 1 100); do alive || break; sleep 0.1; done
  if alive; then log "containerd $PID ignored SIGTERM: SIGKILL"; kill -KILL "$PID"; sleep 0.2; fi
  log "containerd $PID stopped"
fi

# 3. Leftovers when containerd was already gone: runc containers, and shims
#    bound to this lab's socket (matched by their exact -address argument).
if [ -d "$LAB/runc/k8s.io" ] && command -v runc >/dev/null; then
  for id in $(runc --root "$LAB/runc/k8s.io" list -q 2>/dev/null); do
    runc --root "$LAB/runc/k8s.io" delete --force "$id" >/dev/null 2>&1
  done
fi
for p in /proc/[0-9]*; do
  pid=${p#/proc/}
  cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
  case "$cmd" in
    *containerd-shim-runc-v2*"-address $SOCK "*) log "killing stray shim $pid"; kill -KILL "$pid" 2>/dev/null ;;
  esac
done

# 4. Mounts under the lab (overlay rootfs, netns bind mounts, shm), deepest first.
if [ -d "$LAB" ]; then
  findmnt -rn -o TARGET | grep "^$LAB/" | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done
fi

# 5. Network: the bridge (veths die with their netns), then ip_forward, which
#    the bridge plugin turned on.
if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE" && log "deleted bridge $BRIDGE"; fi
if [ -f "$LAB/ip_forward.orig" ]; then
  cat "$LAB/ip_forward.orig" >/proc/sys/net/ipv4/ip_forward 2>/dev/null
fi

# 6. cgroups: containerd puts containers in /k8s.io/<id> when cgroup_parent is
#    empty. rmdir only removes empty cgroups, so nothing live is touched.
for c in /sys/fs/cgroup/*/k8s.io /sys/fs/cgroup/k8s.io; do
  [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null
done

# 7. libcni keeps results in /var/lib/cni/results (not configurable in
#    containerd 1.6); pods killed above never got a CNI DEL. Only this lab's
#    network (labs made before it was recorded used the name "statelet").
NETWORK=statelet
[ -f "$LAB/network" ] && NETWORK=$(cat "$LAB/network")
for f in /var/lib/cni/results/"$NETWORK"-*-eth0; do
  [ -e "$f" ] || continue
  id=${f#/var/lib/cni/results/"$NETWORK"-}; id=${id%-eth0}
  rm -f "$f" "/var/lib/cni/results/cni-loopback-$id-lo"
done
rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null
rmdir /run/containerd/s /run/containerd/fifo /run/containerd/runc/k8s.io /run/containerd/runc /run/containerd 2>/dev/null

# 8. The lab dir, only if it is one (never rm -rf an arbitrary directory).
if [ -d "$LAB" ]; then
  if [ -f "$LAB/config.toml" ] || [ -d "$LAB/images" ] || [ -d "$LAB/root" ] || [ -z "$(ls -A "$LAB")" ]; then
    rm -rf "$LAB"
  else
    log "$LAB does not look like a containerd-up.sh lab dir: left in place"
  fi
fi
log "done"
exit 0
