#!/usr/bin/env bash
# Golden data of the BTF encoder (src/encode), made with pahole v1.31 (../shared/oracle/
# build-pahole.sh; PAHOLE=... to use another):
#  - test/golden/encoder/<object>.btf: `pahole -J` (detached) of the DWARF fixtures in
#    test/fixtures/dwarf (sample-*.o, percpu-*.o, typetag-*.o: gcc 12 / clang, DWARF 4 and 5), with the
#    kernel's module features;
#  - test/golden/encoder/modules.tsv: sha256 of .BTF, .BTF.base and .BTF_ids of every module of
#    the encoder corpus (scripts/encoder-corpus.sh) as kbuild + pahole + resolve_btfids left it,
#    or "refused" and pahole's message when pahole refused the module.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
pahole="${PAHOLE:-$HOME/.cache/btf-oracle/bin/pahole}"
features=encode_force,var,float,enum64,decl_tag,type_tag,optimized_func,consistent_func,decl_tag_kfuncs
out="$here/test/golden/encoder"
mkdir -p "$out"
for o in "$here"/test/fixtures/dwarf/sample-*.o "$here"/test/fixtures/dwarf/percpu-*.o "$here"/test/fixtures/dwarf/typetag-*.o; do
	n="$(basename "$o" .o)"
	rm -f "$out/$n.btf"
	"$pahole" -J --btf_features="$features" --btf_encode_detached="$out/$n.btf" "$o"
done
corpus="${BTFKIT_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/btfkit/corpus}/encoder"
[ -d "$corpus" ] || { echo "no encoder corpus at $corpus (scripts/encoder-corpus.sh); modules.tsv kept" >&2; exit 0; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
{
	printf 'module\t.BTF\t.BTF.base\t.BTF_ids\n'
	for pre in "$corpus"/*/*.prebtf.ko; do
		dir="$(dirname "$pre")"; m="$(basename "$pre" .prebtf.ko)"; g="$(basename "$dir")"
		if [ -f "$dir/refused.txt" ]; then
			printf '%s/%s\trefused\t%s\t-\n' "$g" "$m" "$(cat "$dir/refused.txt")"
			continue
		fi
		row="$g/$m"
		for s in .BTF .BTF.base .BTF_ids; do
			objcopy --dump-section "$s=$tmp/s" "$dir/$m.ko" "$tmp/junk" 2>/dev/null || true
			if [ -f "$tmp/s" ]; then
				row="$row	$(sha256sum < "$tmp/s" | cut -d' ' -f1)"
			else
				row="$row	-"
			fi
			rm -f "$tmp/s"
		done
		printf '%s\n' "$row"
	done
} > "$out/modules.tsv"
wc -l "$out/modules.tsv"
