#!/usr/bin/env bash
# Builds the encoder's DKMS corpus (issue 19): out-of-tree modules of Debian's DKMS source
# packages (Debian 13 "trixie" versions, which build on Linux 6.12; then those only in Debian 12
# or only in unstable; then Debian 12's and Debian 12 backports' own versions where they differ
# and build), built by Linux 6.12.118's
# kbuild with pahole v1.31 (../shared/oracle/kbuild-module.sh), so that each module has its
# pre-BTF M.prebtf.ko (btfkit's input) beside the final M.ko (pahole + resolve_btfids: the
# expected .BTF, .BTF.base and .BTF_ids). The packages are only unpacked (dpkg-deb -x), never
# installed; each is built as its dkms.conf says, with the package's own make steps replaced by
# a Kbuild file where they need a configured tree (noted per package). A module pahole leaves
# without .BTF gets its message in M.refused.txt.
#
# usage: scripts/dkms-corpus.sh [OUTDIR] [PACKAGE...]
#        OUTDIR default: $BTFKIT_CORPUS or ~/.cache/btfkit/corpus, then /encoder-dkms; the .debs
#        are kept in OUTDIR/debs. Prints "<package>/<module>" lines of what it built, and one
#        line per package that does not build on 6.12.
# env:   KDIR: other kernel headers to build against (scripts/trixie-corpus.sh: Debian 13's own,
#        in a Debian 13 chroot with gcc 14); PAHOLE as kbuild-module.sh takes it.
# needs: linux-headers-6.12.118+deb12-amd64, pahole v1.31 from ../shared/oracle/build-pahole.sh,
#        curl and the Debian archive apt uses here (or DEBIAN_MIRROR: the URL above its pool/).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
oracle="${BTFKIT_ORACLE:-$here/../shared/oracle}"
[ -d "$oracle" ] || { echo "dkms-corpus: $oracle missing (set BTFKIT_ORACLE)" >&2; exit 1; }
corpus="${BTFKIT_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/btfkit/corpus}"
out="${1:-$corpus/encoder-dkms}"
shift || true
only=" $* "
# the kernel headers to build against (KDIR, as kbuild-module.sh takes it; default Debian's
# 6.12.118), their kernel version and their common part, as the preparations below name them
kdir="${KDIR:-/usr/src/linux-headers-6.12.118+deb12-amd64}"
kver="${kdir##*/linux-headers-}"
kcommon="${kdir%-amd64}-common"
export KDIR="$kdir"
# the archive apt is set up with: the part of a package's URL before /pool/
. "$here/scripts/debian-mirror.sh"
mirror=$(debian_mirror dkms-corpus) || exit 1
mkdir -p "$out/debs"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0

# pkg NAME POOL_PATH [SUBDIR] [PREP]: fetch and unpack the .deb, stage its /usr/src tree, run
# PREP (shell, in the staged tree), build SUBDIR (default: the tree) with kbuild-module.sh.
pkg() {
	local name="$1" pool="$2" sub="${3:-.}" prep="${4:-}"
	[ "$only" = "  " ] || [[ "$only" == *" $name "* ]] || return 0
	if [ -f "$out/$name/.done" ]; then echo "$name: cached"; return 0; fi
	local deb="$out/debs/$(basename "$pool")"
	if [ ! -s "$deb" ]; then
		curl -sSf -o "$deb.tmp" "$mirror/$pool" || { echo "$name: download failed ($mirror/$pool)" >&2; failed=$((failed + 1)); return 0; }
		mv "$deb.tmp" "$deb"
	fi
	rm -rf "$work/x" "$work/$name"
	dpkg-deb -x "$deb" "$work/x"
	mv "$(ls -d "$work"/x/usr/src/*/ | head -n1)" "$work/$name"
	if [ -n "$prep" ]; then
		(cd "$work/$name" && eval "$prep") > "$work/$name.prep.log" 2>&1 || {
			echo "$name: preparation failed: $(tail -n1 "$work/$name.prep.log")" >&2; failed=$((failed + 1)); return 0; }
	fi
	rm -rf "$out/$name"
	if ! bash "$oracle/kbuild-module.sh" -o "$out/$name" "$work/$name/$sub" > "$work/$name.log" 2>&1; then
		mkdir -p "$out/$name"
		cp "$work/$name.log" "$out/$name.log"
		echo "$name: does not build on 6.12: $(cat "$out/$name/make.log" "$work/$name.log" 2>/dev/null | grep -m1 -E 'error:|Error [0-9]' | sed 's/^[^:]*://' | cut -c1-160)" >&2
		failed=$((failed + 1))
		return 0
	fi
	if ! ls "$out/$name"/*.prebtf.ko > /dev/null 2>&1; then
		echo "$name: kbuild built no module" >&2; failed=$((failed + 1)); return 0
	fi
	# a module pahole left without .BTF (it still exits 0 and kbuild goes on, e.g. on a C++
	# reference type): its recorded pahole command replayed on a copy, its message kept as
	# M.refused.txt (what golden-encoder.sh puts in dkms.tsv)
	local pre m
	for pre in "$out/$name"/*.prebtf.ko; do
		m="$(basename "$pre" .prebtf.ko)"
		readelf -S -W "$out/$name/$m.ko" | grep -q ' \.BTF ' && continue
		cp "$pre" "$work/refused.ko"
		sed -n 2p "$out/$name/$m.cmds" | sed "s# [^ ]*\$# $work/refused.ko#" > "$work/refused.sh"
		bash "$work/refused.sh" 2>&1 | grep -m1 -E '^Unsupported DW_TAG|^Complex, interval|when creating distilled base' > "$out/$name/$m.refused.txt" || rm -f "$out/$name/$m.refused.txt"
		echo "$name/$m: refused by pahole: $(cat "$out/$name/$m.refused.txt" 2>/dev/null || echo 'no .BTF and no message')" >&2
	done
	touch "$out/$name/.done"
	ls "$out/$name"/*.prebtf.ko | sed "s|.*/|$name/|; s|\.prebtf\.ko$||"
}

main=pool/main
pkg acpi-call $main/a/acpi-call/acpi-call-dkms_1.2.2-2.1_all.deb
pkg apfs $main/l/linux-apfs-rw/apfs-dkms_0.3.13-1_all.deb . 'sh genver.sh'
pkg dm-writeboost $main/d/dm-writeboost/dm-writeboost-dkms_2.2.18-0.1_all.deb
pkg evdi $main/e/evdi/evdi-dkms_1.14.8+dfsg-1_all.deb
pkg langford $main/l/langford/langford-dkms_0.0.20130228-7_all.deb
pkg leds-alix $main/l/leds-alix/leds-alix-dkms_0.0.1-5_all.deb
pkg librem-ec-acpi $main/libr/librem-ec-acpi/librem-ec-acpi-dkms_0.9.2-3_all.deb
pkg lime-forensics $main/l/lime-forensics/lime-forensics-dkms_1.9.1-8_all.deb
pkg rapiddisk $main/r/rapiddisk/rapiddisk-dkms_9.2.0-1_all.deb
pkg vhba $main/v/vhba-module/vhba-dkms_20250329-1_all.deb
pkg vpoll $main/libv/libvpoll-eventfd/vpoll-dkms_0.1.1-1_all.deb
pkg xtrx $main/x/xtrx-dkms/xtrx-dkms_0.0.1+git20190320.5ae3a3e-3.7_all.deb
# its Makefile adds -I $(PWD), the directory make was started in
pkg gost-crypto $main/g/gost-crypto/gost-crypto-dkms_0.3.5-1.1_all.deb . 'sed -i "s|-I \$(PWD)|-I \$(src)|" Makefile'
# two modules in two directories, the second using the first's symbols: one Kbuild for both
pkg ddcci $main/d/ddcci-driver-linux/ddcci-dkms_0.4.5-1_all.deb . \
	'cp ddcci/ddcci.c ddcci-backlight/ddcci-backlight.c . && printf "obj-m += ddcci.o ddcci-backlight.o\nccflags-y := -I\$(src)/include\n" > Kbuild'
# openrazer-driver-dkms 3.10.2+dfsg-1 does not build on 6.12.118 (hid_report_raw_event takes one more argument)
# three directories, built one after the other by dkms.conf: one Kbuild
pkg jool $main/j/jool/jool-dkms_4.1.13-1.1_all.deb . \
	'printf "obj-m += src/mod/common/ src/mod/nat64/ src/mod/siit/\n" > Kbuild'
pkg mstflint $main/m/mstflint/mstflint-dkms_4.31.0+1-4_all.deb . \
	'printf "obj-m += mstflint_access.o\nmstflint_access-objs += mst_vpd.o mst_main.o\n" > Kbuild'
pkg reform2-lpc $main/r/reform-tools/reform2-lpc-dkms_1.71-2+deb13u1_all.deb
pkg smifb2 $main/s/smifb2/smifb2-dkms_2.4.1-1_all.deb
pkg falcosecurity-scap $main/f/falcosecurity-libs/falcosecurity-scap-dkms_0.20.0-3_all.deb
# its Makefile writes rtpengine-kmod.mk (the version) from git or debian/changelog
pkg rtpengine-kernel $main/r/rtpengine/rtpengine-kernel-dkms_12.5.1.31-1_all.deb . \
	'echo "RTPENGINE_VERSION := 12.5.1.31" > rtpengine-kmod.mk'
# the Makefile's compat header, include paths and CONFIG_OVPN_DCO_V2=m, as a Kbuild
pkg openvpn-dco $main/o/openvpn-dco-dkms/openvpn-dco-dkms_0.0+git20241121-1+deb13u1_all.deb . \
	'sh gen-compat-autoconf.sh compat-autoconf.h && printf "export CONFIG_OVPN_DCO_V2 := m\nNOSTDINC_FLAGS += -I\$(src)/include/ -include \$(src)/linux-compat.h -I\$(src)/compat-include/\nobj-y += drivers/net/ovpn-dco/\n" > Kbuild'
# XA_ABSTOPSRCDIR (where mconfig is) given on dkms' make line: mconfig moved beside the Kbuild
pkg xtables-addons $main/x/xtables-addons/xtables-addons-dkms_3.27-4_all.deb extensions \
	'cp mconfig extensions/ && sed -i "s|\${XA_ABSTOPSRCDIR}|\$(src)|g" extensions/Kbuild'
pkg west-chamber $main/w/west-chamber/west-chamber-dkms_20100405+svn20111107.r124-14.3_all.deb extensions \
	'dpkg-deb --fsys-tarfile "$out/debs/xtables-addons-dkms_3.27-4_all.deb" | tar -x --wildcards --strip-components=5 -C extensions "./usr/src/xtables-addons-*/extensions/compat_*.h" && cp mconfig extensions/ && sed -i "s|\${XA_ABSTOPSRCDIR}|\$(src)|g; s|-I/usr/include/xtables-addons/extensions|-I\$(src)|" extensions/Kbuild'
# dkms.conf: make modules in drivers/dahdi with the top Makefile's DAHDI_BUILD_ALL=m,
# DAHDI_INCLUDE=include/ and HOTPLUG_FIRMWARE=yes (and its include/dahdi/version.h); wcte13xp's
# unresolved oct612x symbols left to modpost as warnings
dahdi_prep='[ -f include/dahdi/version.h ] || DAHDIVERSION=unknown build_tools/make_version_h > include/dahdi/version.h
cp -r include drivers/dahdi/dahdi-include
sed -i "1i export DAHDI_INCLUDE := \$(src)/dahdi-include\nexport HOTPLUG_FIRMWARE := yes\nDAHDI_BUILD_ALL := m\nKBUILD_MODPOST_WARN := 1" drivers/dahdi/Kbuild'
pkg dahdi $main/d/dahdi-linux/dahdi-dkms_3.1.0+git20230717~dfsg-10.1_all.deb drivers/dahdi \
	"$dahdi_prep"
pkg osmocom-dahdi $main/o/osmocom-dahdi-linux/osmocom-dahdi-dkms_0.0~git20241003.b2ea348-4_all.deb drivers/dahdi \
	"$dahdi_prep"
# lttng-modules-dkms 2.13.18-1+deb13u1 does not build on 6.12.118 (its hrtimer_start tracepoint
# conflicts with the kernel's)
# architecture-specific packages of trixie
pkg bbswitch $main/b/bbswitch/bbswitch-dkms_0.8-17_amd64.deb
pkg digimend $main/d/digimend-dkms/digimend-dkms_13-4_amd64.deb
pkg dpdk-kmods $main/d/dpdk-kmods/dpdk-kmods-dkms_0~20230205+git-2_amd64.deb
pkg lenovolegionlinux $main/l/lenovolegionlinux/lenovolegionlinux-dkms_0.0.20+ds-1_amd64.deb
# kfuncs (a BTF_SET8 kfunc set); its Makefile's kbuild part with CHECKSUM_HACK=kfunc
pkg mimic $main/m/mimic/mimic-dkms_0.7.0+ds-2_amd64.deb . \
	'printf "obj-m += mimic.o\nmimic-objs := main.o csum-hack-kfunc.o\nccflags-y := -DMIMIC_KMOD -std=gnu99 -Wno-error=declaration-after-statement -DMIMIC_CHECKSUM_HACK_kfunc\n" > Kbuild'
pkg tp-smapi $main/t/tp-smapi/tp-smapi-dkms_0.44-1.2_amd64.deb . \
	'printf "obj-m := thinkpad_ec.o tp_smapi.o hdaps.o\n" > Kbuild'
# PRE_BUILD's configure (iptables' headers and library only matter to the userspace part: stand-ins),
# then the make prerequisites of ipt_NETFLOW.ko
pkg iptables-netflow $main/i/iptables-netflow/iptables-netflow-dkms_2.6-7.1_amd64.deb . \
	'mkdir -p fakeinc && touch fakeinc/xtables.h && ./configure --from-dkms-conf=$kdir --ipt-ver=1.8.9 --ipt-inc="$PWD/fakeinc" --ipt-lib=/tmp --disable-snmp-agent --enable-natevents --enable-snmp-rules --enable-macaddress --enable-vlan --enable-direction --enable-sampler --enable-physdev --enable-promisc --promisc-mpls && make version.h compat_def.h'
# non-free: a shim with DWARF around a shipped object without it
pkg broadcom-sta pool/non-free/b/broadcom-sta/broadcom-sta-dkms_6.30.223.271-26_amd64.deb
# its Makefile's make line (NV_KERNEL_SOURCES/OUTPUT as /lib/modules/<kernel>/source and build,
# the five modules, NV_SPECTRE_V2=0) set at the top of its Kbuild; nv-kernel.o_binary and
# nv-modeset-kernel.o_binary are shipped objects
nv_prep='sed -i "1i NV_KERNEL_SOURCES := $kcommon\nNV_KERNEL_OUTPUT := $kdir\nNV_KERNEL_MODULES := nvidia nvidia-uvm nvidia-modeset nvidia-drm nvidia-peermem\nNV_SPECTRE_V2 := 0" Kbuild'
pkg nvidia-kernel pool/non-free/n/nvidia-graphics-drivers/nvidia-kernel-dkms_550.163.01-2_amd64.deb . "$nv_prep"
pkg nvidia-tesla-535-kernel pool/non-free/n/nvidia-graphics-drivers-tesla-535/nvidia-tesla-535-kernel-dkms_535.274.02-1~deb13u1_amd64.deb . "$nv_prep"
# contrib: the open GPU kernel modules, the same shim; Debian ships their nv-kernel.o_binary and
# nv-modeset-kernel.o_binary prebuilt from the open sources with their DWARF (gcc 14, DWARF 5)
# 6.12.118's pci_resize_resource has a fourth argument (exclude_bars, backported; its conftest does
# not probe it): as built here, 0 is passed for it, so that the shipped objects' DWARF is encoded
nv_open_prep="$nv_prep"' && sed -i "s/pci_resize_resource(pci_dev, NV_GPU_BAR1, requested_size)/pci_resize_resource(pci_dev, NV_GPU_BAR1, requested_size, 0)/" nvidia/nv-pci.c'
pkg nvidia-open-kernel pool/contrib/n/nvidia-open-gpu-kernel-modules/nvidia-open-kernel-dkms_550.163.01-2_amd64.deb . "$nv_open_prep"
# the Makefile's module target: configure (kernel feature probes), nv-p2p.h of nvidia-kernel-dkms
# as NVIDIA_SRC_DIR, KCPPFLAGS and CONFIG_NVFS_* of its make line set at the top; nvidia's symbols
# left to modpost as warnings (its KBUILD_MODPOST_WARN)
pkg nvidia-fs pool/non-free/n/nvidia-cuda-toolkit/nvidia-fs-dkms_2.19.7~12.4.1-2_amd64.deb . \
	'mkdir -p nvinc && dpkg-deb --fsys-tarfile "$out/debs/nvidia-kernel-dkms_550.163.01-2_amd64.deb" | tar -x --wildcards --strip-components=5 -C nvinc "./usr/src/nvidia-*/nvidia/nv-p2p.h" && ./configure $kver && sed -i "1i NVIDIA_SRC_DIR := \$(src)/nvinc\nCONFIG_NVFS_BATCH_SUPPORT := y\nCONFIG_NVFS_STATS := y\nccflags-y += -DCONFIG_NVFS_STATS=y -DGDS_VERSION=2.19.7 -DNVFS_ENABLE_KERN_RDMA_SUPPORT -DNVFS_BATCH_SUPPORT=y" Makefile'
# on x86-64 only its USB driver builds (slamr is 32-bit); dkms.conf's make -C drivers USB=1
pkg sl-modem pool/non-free/s/sl-modem/sl-modem-dkms_2.9.11~20110321-20_amd64.deb . \
	'printf "obj-m := slusb.o\nslusb-objs := drivers/st7554.o\nccflags-y := -I\$(src)/drivers -I\$(src)/modem\n" > Kbuild'
# dkms.conf's make-line variables set at the top of its Kbuild
pkg ezurio-qcacld-2.0 $main/e/ezurio-qcacld-2.0-dkms/ezurio-qcacld-2.0-dkms_0.0~git20240408.aa96a9f+dfsg-5_all.deb . \
	'sed -i "1i WLAN_ROOT := \$(KBUILD_EXTMOD)\nMODNAME := qcacld2\nCONFIG_QCA_WIFI_ISOC := 0\nCONFIG_QCA_WIFI_2_0 := 1\nCONFIG_QCA_CLD_WLAN := m\nWLAN_OPEN_SOURCE := 1\nCONFIG_CLD_HL_SDIO_CORE := y\nCONFIG_FORCE_MLO_SUPPORT := y\nCONFIG_SUPPORT_P2P_BY_ONE_INTF_WLAN := y" Kbuild'
# dkms' own test modules (dkms-noautoinstall-test-dkms has dkms-test's source under another name)
pkg dkms-test $main/d/dkms/dkms-test-dkms_3.2.2-1~deb13u1_all.deb
pkg dkms-replace-test $main/d/dkms/dkms-replace-test-dkms_3.2.2-1~deb13u1_all.deb
# dkms.conf's configure (no sysname: Debian's kernel versions have no third "-" field), then its
# make with the kernel's build dir swapped for one whose "modules" does nothing, so that make only
# writes the kbuild Makefile of src/libafs/MODLOAD-<kernel>-SP (sources linked there)
pkg openafs $main/o/openafs/openafs-modules-dkms_1.8.13.2-1_all.deb "src/libafs/MODLOAD-$kver-SP" \
	'./configure --disable-linux-syscall-probing --with-linux-kernel-packaging --with-linux-kernel-headers=$kdir && mkdir -p nokbuild && printf "modules:\n\t@true\n" > nokbuild/Makefile && make LINUX_KERNEL_BUILD="$PWD/nokbuild"'
# non-free Realtek NIC drivers (their Makefiles' kbuild part is used as it is)
pkg r8125 pool/non-free/r/r8125/r8125-dkms_9.015.00-1_all.deb
pkg r8168 pool/non-free/r/r8168/r8168-dkms_8.055.00-1_all.deb
# Debian 12 only (not in trixie)
# nat-rtsp-dkms 0.7+5.3-0.2 (strlcpy, gone in 6.8) and adv-17v35x-dkms 5.0.7.0-1 (struct
# uart_state's xmit, gone in 6.10) do not build on 6.12.118
# bookworm's r8125-dkms 9.011.00-3 and r8168-dkms 8.051.02-2 do not build on 6.12 (strlcpy, gone
# since 6.8): trixie's versions above
# bookworm's open GPU modules: their shipped objects' DWARF made by gcc 12
pkg nvidia-open-kernel-535 pool/contrib/n/nvidia-open-gpu-kernel-modules/nvidia-open-kernel-dkms_535.261.03-1_amd64.deb . "$nv_open_prep"
# bookworm's nvidia-kernel-dkms 535.261.03 is an older version of the closed shim above (not
# built here)
pkg nvidia-tesla-kernel pool/non-free/n/nvidia-graphics-drivers-tesla/nvidia-tesla-kernel-dkms_525.147.05-15~deb12u1_amd64.deb . "$nv_prep"
# Debian unstable only (not in trixie nor bookworm)
pkg xone $main/x/xone-dkms/xone-dkms_0.5.8-1_all.deb
pkg yt6801 $main/y/yt6801-dkms/yt6801-dkms_1.0.31-1_all.deb
# unstable's versions of two packages whose trixie versions do not build on 6.12.118 (above)
pkg openrazer-driver $main/o/openrazer/openrazer-driver-dkms_3.12.4+dfsg-1_all.deb driver
# dkms.conf's "make modules": the top Makefile's kbuild part, CONFIG_LTTNG=m and the clock test plugin
pkg lttng-modules $main/l/lttng-modules/lttng-modules-dkms_2.16.0-1_all.deb . \
	'printf "export CONFIG_LTTNG := m\nexport CONFIG_LTTNG_CLOCK_PLUGIN_TEST := m\nobj-m += src/\n" > Kbuild'
# dkms.conf's make line: M=src with VERSION=0.10.4
pkg xpadneo $main/x/xpadneo-dkms/xpadneo-dkms_0.10.4-1_all.deb src 'sed -i "1i VERSION := 0.10.4" src/Makefile'
# its dkms_build: make with CONFIG_HINIC=m (feature tests made by its own kbuild rules)
pkg hinic $main/h/hinic-dkms/hinic-dkms_0+git20250605+6.6.0-95.0.0-4_all.deb . 'sed -i "1i CONFIG_HINIC := m" Makefile'
# contrib: vboxdrv, vboxnetflt and vboxnetadp from its top Makefile's obj-m
pkg virtualbox pool/contrib/v/virtualbox/virtualbox-dkms_7.2.22-dfsg-2_amd64.deb
# dkms.conf makes driver/xocl/userpf, then mgmtpf, each from its own directory (its M= and
# module_path); they build the same ../*.o with different flags, so one build each, from the top
# with that directory's M= made $(src)
xrt_prep='sed -i "1i module_path := \$(src)" driver/xocl/userpf/Makefile driver/xocl/mgmtpf/Makefile && sed -i "s|^ROOT[[:space:]]*:= \$(dir \$(M))|ROOT := \$(src)/../|" driver/xocl/userpf/Makefile driver/xocl/mgmtpf/Makefile && printf "obj-m += driver/xocl/$xrt_pf/\n" > Kbuild'
xrt_pf=userpf pkg xrt-xocl-userpf $main/x/xrt/xrt-xocl-dkms_2.25.0-4+b1_amd64.deb . "$xrt_prep"
xrt_pf=mgmtpf pkg xrt-xocl-mgmtpf $main/x/xrt/xrt-xocl-dkms_2.25.0-4+b1_amd64.deb . "$xrt_prep"
# older shims, patched for newer kernels by dkms.conf's PATCH list (patches/, applied with -p1
# in order, as dkms does); 390xx, tesla-418, -450 and -460 have four modules (no nvidia-peermem).
# (bookworm's tesla-470 470.256.02-1~deb12u1 does not build on 6.12: follow_pfn, gone since
# 6.10; unstable's -10 does; legacy-340xx, with its own make system, and unstable's tesla-550
# 550.54.15, the 550 shim above in an older version, are not built here)
nv_patch='eval "$(grep "^PATCH=" dkms.conf)" && for p in "${PATCH[@]}"; do patch -p1 -s < "patches/$p" || exit 1; done && '
nv4_prep="$nv_patch${nv_prep/ nvidia-peermem/}"
pkg nvidia-legacy-390xx-kernel pool/non-free/n/nvidia-graphics-drivers-legacy-390xx/nvidia-legacy-390xx-kernel-dkms_390.157-16_amd64.deb . "$nv4_prep"
pkg nvidia-tesla-460-kernel pool/non-free/n/nvidia-graphics-drivers-tesla-460/nvidia-tesla-460-kernel-dkms_460.106.00-24_amd64.deb . "$nv4_prep"
pkg nvidia-tesla-418-kernel pool/non-free/n/nvidia-graphics-drivers-tesla-418/nvidia-tesla-418-kernel-dkms_418.226.00-22_amd64.deb . "$nv4_prep"
pkg nvidia-tesla-450-kernel pool/non-free/n/nvidia-graphics-drivers-tesla-450/nvidia-tesla-450-kernel-dkms_450.248.02-14_amd64.deb . "$nv4_prep"
pkg nvidia-tesla-470-kernel pool/non-free/n/nvidia-graphics-drivers-tesla-470/nvidia-tesla-470-kernel-dkms_470.256.02-10_amd64.deb . "$nv_patch$nv_prep"
# configured for the kernel as dkms.conf's PRE_BUILD does, then kbuild in module/ (with the
# CONFIG_ZFS=m of module/Makefile's make line)
pkg zfs pool/contrib/z/zfs-linux/zfs-dkms_2.3.9-0+deb13u1_all.deb module \
	'./configure --disable-dependency-tracking --prefix=/usr --with-config=kernel --with-linux=$kcommon --with-linux-obj=$kdir && sed -i "1i CONFIG_ZFS := m" module/Kbuild'
# Debian 12's own versions (what `apt-get download` gives on a Debian 12 machine) where they
# differ from the ones above and still build on 6.12.118. Those that do not build on 6.12.118:
# strlcpy (gone since 6.8): dahdi 2.11.1.0.20170917~dfsg-8.4, lttng-modules 2.13.9-1+deb12u1;
# asm/unaligned.h (moved in 6.12): gost-crypto 0.3.4-4, xtables-addons 3.23-1, iptables-netflow
# 2.6-4+deb12u1; DEFINE_SEMAPHORE's second argument (6.4): ddcci 0.4.2-4, tp-smapi 0.43-3;
# class_create's one argument (6.4): vpoll 0.1-3; no_llseek (gone in 6.12): langford
# 0.0.20130228-6.3; NETIF_F_LLTX (gone in 6.12): openvpn-dco 0.0+git20231103-1~deb12u1; the
# block layer's changes: apfs 0.3.0-1 (__getblk_gfp), dm-writeboost 2.2.17-0.2~deb12u1
# (bd_inode), rapiddisk 9.0.0-1+deb12u1 (blk_queue_logical_block_size); the callback types of
# newer kernels: evdi 1.12.0+dfsg-0.3 (platform remove), jool 4.1.9-1 (genl ops),
# librem-ec-acpi 0.9.1-4 (battery hook), digimend 11-2 (report_fixup), openrazer-driver
# 3.5.1+dfsg-2+deb12u1 (hid_report_raw_event); falcosecurity-scap
# 0.1.1dev+git20220316.e5c53d64-5.1 (fd_is_open)
pkg lime-forensics-deb12 $main/l/lime-forensics/lime-forensics-dkms_1.9.1-5_all.deb
pkg rtpengine-kernel-deb12 $main/r/rtpengine/rtpengine-kernel-dkms_10.5.3.5-1_all.deb . \
	'echo "RTPENGINE_VERSION := 10.5.3.5" > rtpengine-kmod.mk'
pkg bbswitch-deb12 $main/b/bbswitch/bbswitch-dkms_0.8-15_amd64.deb
pkg dpdk-kmods-deb12 $main/d/dpdk-kmods/dpdk-kmods-dkms_0~20220829+git-3_amd64.deb
# Debian 12 backports (where Debian's 6.12 kernels for Debian 12 come from): versions that differ
# from the ones above
pkg v4l2loopback-bpo12 $main/v/v4l2loopback/v4l2loopback-dkms_0.13.2-1~bpo12+1_all.deb
pkg nvidia-kernel-bpo12 pool/non-free/n/nvidia-graphics-drivers/nvidia-kernel-dkms_535.216.03-2~bpo12+1_amd64.deb . "$nv_prep"
pkg zfs-bpo12 pool/contrib/z/zfs-linux/zfs-dkms_2.3.2-2~bpo12+2_all.deb module \
	'./configure --disable-dependency-tracking --prefix=/usr --with-config=kernel --with-linux=$kcommon --with-linux-obj=$kdir && sed -i "1i CONFIG_ZFS := m" module/Kbuild'
[ "$failed" = 0 ] || { echo "dkms-corpus: $failed package(s) not built" >&2; exit 1; }
