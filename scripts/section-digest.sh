# Sourced by the scripts that compare modules with the golden digests (golden-encoder.sh, which
# writes them, and dkms-e2e.sh): section_digest FILE SECTION prints the sha256 of SECTION's
# bytes in the ELF file FILE (objcopy --dump-section), or "-" when FILE has no such section.
section_digest() {
	local t d=-
	t="$(mktemp -d)"
	if objcopy --dump-section "$2=$t/s" "$1" "$t/junk" 2> /dev/null && [ -f "$t/s" ]; then
		d="$(sha256sum < "$t/s" | cut -d' ' -f1)"
	fi
	rm -rf "$t"
	printf '%s\n' "$d"
}
