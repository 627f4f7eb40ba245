# Sourced by the scripts that fetch from the Debian archive (dkms-corpus.sh, build-zstd-wasm.sh):
# debian_mirror NAME prints the archive apt is set up with here (the part of a package's URL
# before /pool/), or $DEBIAN_MIRROR when set; without either it says so as NAME and fails.
debian_mirror() {
	local m="${DEBIAN_MIRROR:-$(apt-get download --print-uris libc6 2>/dev/null | sed -n "s|^'\(.*\)/pool/.*|\1|p" | head -n1)}"
	[ -n "$m" ] || { echo "$1: no Debian archive known to apt (run apt-get update, or set DEBIAN_MIRROR)" >&2; return 1; }
	printf '%s\n' "$m"
}
