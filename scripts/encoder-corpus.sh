#!/usr/bin/env bash
# Builds the encoder's parity corpus (issue 19): in-tree modules of Debian's linux-source-6.12
# and Debian's v4l2loopback-dkms, built as out-of-tree modules by Linux 6.12.118's kbuild with
# pahole v1.31 (../shared/oracle/kbuild-module.sh), so that each module has its pre-BTF
# M.prebtf.ko (btfkit's input) beside the final M.ko (pahole + resolve_btfids: the expected
# .BTF, .BTF.base and .BTF_ids).
#
# usage: scripts/encoder-corpus.sh [OUTDIR]   (default: $BTFKIT_CORPUS or ~/.cache/btfkit/corpus,
#        then /encoder); prints "<group>/<module>" lines of what it built.
# needs: apt packages linux-source-6.12, linux-headers-6.12.118+deb12-amd64 and clang-14, pahole v1.31
#        from ../shared/oracle/build-pahole.sh, and a v4l2loopback source that builds on 6.12
#        (V4L2LOOPBACK_SRC, see below; skipped when there is none).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
oracle="${BTFKIT_ORACLE:-$here/../shared/oracle}"
corpus="${BTFKIT_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/btfkit/corpus}"
out="${1:-$corpus/encoder}"
src=/usr/src/linux-source-6.12.tar.xz
[ -f "$src" ] || { echo "encoder-corpus: $src missing (apt-get install linux-source-6.12)" >&2; exit 1; }
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tar -xJf "$src" -C "$work" --wildcards \
	'linux-source-6.12/net/ipv4/tcp_*.c' 'linux-source-6.12/net/ipv4/tcp_*.h' \
	'linux-source-6.12/drivers/net/dummy.c' 'linux-source-6.12/drivers/net/ifb.c' 'linux-source-6.12/drivers/net/nlmon.c' \
	'linux-source-6.12/drivers/hid/*' 'linux-source-6.12/fs/minix/*' 'linux-source-6.12/net/netfilter/xt_*.c' \
	'linux-source-6.12/drivers/usb/misc/*' \
	'linux-source-6.12/net/openvswitch/*' 'linux-source-6.12/net/rds/*' 'linux-source-6.12/lib/percpu_test.c' \
	'linux-source-6.12/net/netfilter/nf_dup_netdev.c' 'linux-source-6.12/net/netfilter/nft_ct.c' \
	'linux-source-6.12/net/netfilter/nf_internals.h'
L="$work/linux-source-6.12"
failed=0

# group <name> <kbuild lines> -- <files...>: one kbuild run for the group's modules
group() {
	local name="$1" kbuild="$2"
	shift 3
	local dir="$work/src/$name"
	mkdir -p "$dir"
	cp "$@" "$dir/"
	printf '%s\n' "$kbuild" > "$dir/Kbuild"
	if [ -f "$out/$name/.done" ]; then echo "$name: cached"; return; fi
	rm -rf "$out/$name"
	if [ "${expect_refusal:-0}" = 1 ]; then
		if bash "$oracle/kbuild-module.sh" -o "$out/$name" "$dir" > "$out/$name.log" 2>&1; then
			echo "encoder-corpus: $name was expected to be refused by pahole" >&2; failed=$((failed + 1)); return 0
		fi
		grep -h "when creating distilled base" "$out/$name.log" "$out/$name/make.log" 2>/dev/null | head -n1 > "$out/$name/refused.txt"
		touch "$out/$name/.done"
		echo "$name: refused by pahole: $(cat "$out/$name/refused.txt")"
		return 0
	fi
	bash "$oracle/kbuild-module.sh" -o "$out/$name" "$dir" > "$work/$name.log" 2>&1 || {
		echo "encoder-corpus: $name failed to build (log: $out/$name.log)" >&2
		cp "$work/$name.log" "$out/$name.log"; failed=$((failed + 1)); return 0; }
	touch "$out/$name/.done"
	ls "$out/$name"/*.prebtf.ko | sed "s|.*/|$name/|; s|\.prebtf\.ko$||"
}

tcp=(bbr dctcp vegas westwood htcp highspeed hybla illinois scalable lp veno yeah nv cdg)
group tcp "$(for m in "${tcp[@]}"; do echo "obj-m += tcp_$m.o"; done)" -- \
	$(for m in "${tcp[@]}"; do echo "$L/net/ipv4/tcp_$m.c"; done) "$L"/net/ipv4/tcp_*.h
# pahole refuses tcp_cubic (its split BTF would reference a base FUNC, which a distilled base
# cannot hold): kept apart, its M.prebtf.ko is the input of the refusal test.
expect_refusal=1 group tcp_cubic "obj-m += tcp_cubic.o" -- "$L"/net/ipv4/tcp_cubic.c
group net "obj-m += dummy.o ifb.o nlmon.o" -- "$L"/drivers/net/{dummy,ifb,nlmon}.c
hid=(ezkey keytouch gyration apple cherry chicony cypress belkin kensington petalynx)
group hid "$(for m in "${hid[@]}"; do echo "obj-m += hid-$m.o"; done)" -- \
	$(for m in "${hid[@]}"; do echo "$L/drivers/hid/hid-$m.c"; done) "$L/drivers/hid/hid-ids.h"
group minix "obj-m += minix.o
minix-objs := bitmap.o itree_v1.o itree_v2.o namei.o inode.o file.o dir.o" -- "$L"/fs/minix/*.c "$L"/fs/minix/*.h
xt=(mark comment length limit tcpmss multiport state connlimit hashlimit string)
group netfilter "$(for m in "${xt[@]}"; do echo "obj-m += xt_$m.o"; done)" -- \
	$(for m in "${xt[@]}"; do echo "$L/net/netfilter/xt_$m.c"; done)
usb=(cytherm trancevibrator usbsevseg emi26 idmouse)
group usb "$(for m in "${usb[@]}"; do echo "obj-m += $m.o"; done)" -- \
	$(for m in "${usb[@]}"; do echo "$L/drivers/usb/misc/$m.c"; done) "$L"/drivers/usb/misc/*.h
# Debian 12's v4l2loopback-dkms (0.12.7) predates Linux 6.12 (it calls strlcpy); Debian 13's
# 0.15.0 builds: point V4L2LOOPBACK_SRC at its usr/src/v4l2loopback-0.15.0 (dpkg-deb -x).
v4l="${V4L2LOOPBACK_SRC:-$(ls -d /usr/src/v4l2loopback-* 2>/dev/null | sort -V | tail -n1 || true)}"
if [ -n "$v4l" ]; then
	group v4l2loopback "obj-m += v4l2loopback.o" -- "$v4l"/*.c "$v4l"/*.h
fi
# Per-CPU variables (DEFINE_PER_CPU: VAR + DATASEC .data..percpu): static ones (openvswitch's
# actions.c, nf_dup_netdev, nft_ct, percpu_test, rds' page.c), global ones declared in a header
# first (DW_AT_specification: rds_stats, rds_tcp_stats); openvswitch's vport modules have none.
group percpu "obj-m += nf_dup_netdev.o nft_ct.o percpu_test.o openvswitch.o vport-gre.o vport-vxlan.o vport-geneve.o rds.o rds_tcp.o
openvswitch-y := actions.o datapath.o dp_notify.o flow.o flow_netlink.o flow_table.o meter.o \
	openvswitch_trace.o vport.o vport-internal_dev.o vport-netdev.o conntrack.o
CFLAGS_openvswitch_trace.o = -I\$(src)
rds-y := af_rds.o bind.o cong.o connection.o info.o message.o recv.o send.o stats.o sysctl.o \
	threads.o transport.o loop.o page.o rdma.o
rds_tcp-y := tcp.o tcp_connect.o tcp_listen.o tcp_recv.o tcp_send.o tcp_stats.o" -- \
	"$L"/net/netfilter/{nf_dup_netdev.c,nft_ct.c,nf_internals.h} "$L"/lib/percpu_test.c \
	"$L"/net/openvswitch/*.[ch] "$L"/net/rds/*.[ch]
# The same sources built with DWARF choices a DKMS Makefile can make through ccflags: DWARF 4
# (-gdwarf-4: .debug_loc and .debug_ranges, DW_FORM_strp, GNU location operators) and every
# declared type kept (-fno-eliminate-unused-debug-types: types no code uses, thousands more per
# unit), DWARF type units (-fdebug-types-section, DWARF 5 and 4: each type unit a section
# group of its own, which pahole's libdw does not read; see src/encode/index.ts), minimal debug
# info (-g1: no types) and split DWARF (-gsplit-dwarf, kbuild's CONFIG_DEBUG_INFO_SPLIT: the
# .ko keeps skeleton units only, and neither pahole nor btfkit reads the .dwo files).
d4tcp=(bbr dctcp vegas westwood htcp illinois nv cdg)
group dwarf4-tcp "$(for m in "${d4tcp[@]}"; do echo "obj-m += tcp_$m.o"; done)
ccflags-y += -gdwarf-4" -- $(for m in "${d4tcp[@]}"; do echo "$L/net/ipv4/tcp_$m.c"; done) "$L"/net/ipv4/tcp_*.h
group dwarf4-minix "obj-m += minix.o
minix-objs := bitmap.o itree_v1.o itree_v2.o namei.o inode.o file.o dir.o
ccflags-y += -gdwarf-4" -- "$L"/fs/minix/*.c "$L"/fs/minix/*.h
d4hid=(apple cherry cypress belkin)
group dwarf4-hid "$(for m in "${d4hid[@]}"; do echo "obj-m += hid-$m.o"; done)
ccflags-y += -gdwarf-4" -- $(for m in "${d4hid[@]}"; do echo "$L/drivers/hid/hid-$m.c"; done) "$L/drivers/hid/hid-ids.h"
d4xt=(mark limit hashlimit string conntrack connlimit)
group dwarf4-netfilter "$(for m in "${d4xt[@]}"; do echo "obj-m += xt_$m.o"; done)
ccflags-y += -gdwarf-4" -- $(for m in "${d4xt[@]}"; do echo "$L/net/netfilter/xt_$m.c"; done)
group dwarf4-openvswitch "obj-m += openvswitch.o
openvswitch-y := actions.o datapath.o dp_notify.o flow.o flow_netlink.o flow_table.o meter.o \
	openvswitch_trace.o vport.o vport-internal_dev.o vport-netdev.o conntrack.o
CFLAGS_openvswitch_trace.o = -I\$(src)
ccflags-y += -gdwarf-4" -- "$L"/net/openvswitch/*.[ch]
group unused-types-tcp "$(for m in "${d4tcp[@]}"; do echo "obj-m += tcp_$m.o"; done)
ccflags-y += -fno-eliminate-unused-debug-types" -- $(for m in "${d4tcp[@]}"; do echo "$L/net/ipv4/tcp_$m.c"; done) "$L"/net/ipv4/tcp_*.h
group unused-types-hid "$(for m in "${d4hid[@]}"; do echo "obj-m += hid-$m.o"; done)
ccflags-y += -fno-eliminate-unused-debug-types" -- $(for m in "${d4hid[@]}"; do echo "$L/drivers/hid/hid-$m.c"; done) "$L/drivers/hid/hid-ids.h"
group typeunits-tcp "$(for m in "${d4tcp[@]}"; do echo "obj-m += tcp_$m.o"; done)
ccflags-y += -fdebug-types-section" -- $(for m in "${d4tcp[@]}"; do echo "$L/net/ipv4/tcp_$m.c"; done) "$L"/net/ipv4/tcp_*.h
group typeunits-hid "$(for m in "${d4hid[@]}"; do echo "obj-m += hid-$m.o"; done)
ccflags-y += -fdebug-types-section" -- $(for m in "${d4hid[@]}"; do echo "$L/drivers/hid/hid-$m.c"; done) "$L/drivers/hid/hid-ids.h"
group typeunits-dwarf4-minix "obj-m += minix.o
minix-objs := bitmap.o itree_v1.o itree_v2.o namei.o inode.o file.o dir.o
ccflags-y += -gdwarf-4 -fdebug-types-section" -- "$L"/fs/minix/*.c "$L"/fs/minix/*.h
g1tcp=(bbr vegas westwood)
group g1-tcp "$(for m in "${g1tcp[@]}"; do echo "obj-m += tcp_$m.o"; done)
ccflags-y += -g1" -- $(for m in "${g1tcp[@]}"; do echo "$L/net/ipv4/tcp_$m.c"; done) "$L"/net/ipv4/tcp_*.h
group splitdwarf-tcp "$(for m in "${g1tcp[@]}"; do echo "obj-m += tcp_$m.o"; done)
ccflags-y += -gsplit-dwarf" -- $(for m in "${g1tcp[@]}"; do echo "$L/net/ipv4/tcp_$m.c"; done) "$L"/net/ipv4/tcp_*.h
# The same sources built by clang (Debian 12's clang-14) instead of gcc 12: clang's DWARF 5
# (DW_FORM_strx1..4 and addrx through .debug_str_offsets and .debug_addr, its own choice of
# forms, attributes and DIE order; -gdwarf-4 in clang-dwarf4-tcp). Debian's headers are
# configured for gcc, so CC is set in the Kbuild file and the gcc-only options clang rejects are
# taken out of KBUILD_CFLAGS; the .mod.o and .module-common.o that kbuild links in stay gcc's.
# CONFIG_PAHOLE_HAS_BTF_TAG is defined as a clang-built kernel's configuration has it, so that
# __user, __rcu and __percpu become btf_type_tag annotations (TYPE_TAG chains in the BTF); the
# minix build leaves it out, as a DKMS build with clang against these headers would.
clang_plain='CC := clang-14
KBUILD_CFLAGS := $(filter-out -fconserve-stack -mindirect-branch=thunk-extern -mindirect-branch-register -mindirect-branch-cs-prefix -mfunction-return=thunk-extern -fno-allow-store-data-races -mrecord-mcount -fno-var-tracking-assignments -mpreferred-stack-boundary=3 -fmin-function-alignment=16 -fzero-init-padding-bits=all -fstrict-flex-arrays=3 -ftrivial-auto-var-init=zero,$(KBUILD_CFLAGS))'
clang_kbuild="$clang_plain
ccflags-y += -DCONFIG_PAHOLE_HAS_BTF_TAG=1"
group clang-tcp "$(for m in "${tcp[@]}"; do echo "obj-m += tcp_$m.o"; done)
$clang_kbuild" -- $(for m in "${tcp[@]}"; do echo "$L/net/ipv4/tcp_$m.c"; done) "$L"/net/ipv4/tcp_*.h
group clang-dwarf4-tcp "$(for m in "${d4tcp[@]}"; do echo "obj-m += tcp_$m.o"; done)
$clang_kbuild
ccflags-y += -gdwarf-4" -- $(for m in "${d4tcp[@]}"; do echo "$L/net/ipv4/tcp_$m.c"; done) "$L"/net/ipv4/tcp_*.h
group clang-hid "$(for m in "${hid[@]}"; do echo "obj-m += hid-$m.o"; done)
$clang_kbuild" -- $(for m in "${hid[@]}"; do echo "$L/drivers/hid/hid-$m.c"; done) "$L/drivers/hid/hid-ids.h"
group clang-minix "obj-m += minix.o
minix-objs := bitmap.o itree_v1.o itree_v2.o namei.o inode.o file.o dir.o
$clang_plain" -- "$L"/fs/minix/*.c "$L"/fs/minix/*.h
group clang-netfilter "$(for m in "${xt[@]}"; do echo "obj-m += xt_$m.o"; done)
$clang_kbuild" -- $(for m in "${xt[@]}"; do echo "$L/net/netfilter/xt_$m.c"; done)
group clang-usb "$(for m in "${usb[@]}"; do echo "obj-m += $m.o"; done)
$clang_kbuild" -- $(for m in "${usb[@]}"; do echo "$L/drivers/usb/misc/$m.c"; done) "$L"/drivers/usb/misc/*.h
group clang-openvswitch "obj-m += openvswitch.o nf_dup_netdev.o nft_ct.o
openvswitch-y := actions.o datapath.o dp_notify.o flow.o flow_netlink.o flow_table.o meter.o \
	openvswitch_trace.o vport.o vport-internal_dev.o vport-netdev.o conntrack.o
CFLAGS_openvswitch_trace.o = -I\$(src)
$clang_kbuild" -- "$L"/net/openvswitch/*.[ch] "$L"/net/netfilter/{nf_dup_netdev.c,nft_ct.c,nf_internals.h}
[ "$failed" = 0 ] || { echo "encoder-corpus: $failed group(s) failed" >&2; exit 1; }
