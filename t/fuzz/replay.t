#!/bin/sh
# Replays every fuzz target's corpus (t/fuzz/corpus/<target>/) through the
# target built as a plain program: a crash or sanitizer report fails.
. "${TERN_SRC:-.}/t/lib.sh"
n=0
for src in "$TERN_SRC"/t/fuzz/*.c; do
	name=$(basename "$src" .c)
	[ "$name" = replay ] && continue
	n=$((n + 1))
done
[ "$n" = 0 ] && skip_all "no fuzz targets yet"
plan "$n"
for src in "$TERN_SRC"/t/fuzz/*.c; do
	name=$(basename "$src" .c)
	[ "$name" = replay ] && continue
	corpus="$TERN_SRC/t/fuzz/corpus/$name"
	if [ ! -d "$corpus" ]; then is "no corpus" "corpus" "$name has a corpus"; continue; fi
	out=$("$TERN_BUILD/t/fuzz/$name" "$corpus" 2>&1); rc=$?
	is "$rc" 0 "$name replays its corpus ($(echo "$out" | tail -1))"
	[ "$rc" = 0 ] || diag "$out"
done
done_testing
