#!/bin/sh
# Every program has a man page; each page renders without a groff warning
# and has the sections STYLE asks for (section 8: NAME, SYNOPSIS,
# DESCRIPTION, RUNS AS, SECURITY, FILES, EXIT STATUS); a page that only
# points at another (.so) points at one that is installed.
. "${TERN_SRC:-.}/t/lib.sh"
command -v groff >/dev/null 2>&1 || skip_all "no groff"
cd "${TERN_SRC:-.}" || { echo "Bail out! no source tree"; exit 1; }

progs=$(sed -n 's/^PROGS[[:space:]]*+=//p' */*.mk | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)
pages=$(sed -n 's/^MANPAGES[[:space:]]*+=//p' */*.mk | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)
[ -n "$progs" ] && [ -n "$pages" ] || { echo "Bail out! no PROGS or MANPAGES in */*.mk"; exit 1; }
np=$(printf '%s\n' "$progs" | wc -l)
nm=$(printf '%s\n' "$pages" | wc -l)
plan $((np + 2 * nm))

for p in $progs; do
	found=
	for m in $pages; do
		[ "$(basename "$m")" = "$p.8" ] && found=$m
	done
	ok "$p has a man page ($p.8)" test -n "$found"
done

for m in $pages; do
	if [ ! -f "$m" ]; then
		ok "$m exists" false
		ok "$m has its sections" false
		continue
	fi
	so=$(sed -n 's/^\.so[[:space:]]*//p' "$m")
	if [ -n "$so" ]; then
		target=
		for t in $pages; do
			case "$so" in */$(basename "$t")) target=$t ;; esac
		done
		ok "$m points at an installed page ($so)" test -n "$target"
		ok "$m: its sections are the target's" true
		continue
	fi
	w=$(LC_ALL=C groff -man -ww -z "$m" 2>&1)
	is "$w" "" "$m renders without warnings"
	case "$m" in
	*.8) want="NAME SYNOPSIS DESCRIPTION RUNS_AS SECURITY FILES EXIT_STATUS" ;;
	*) want="NAME DESCRIPTION" ;;
	esac
	missing=
	for s in $want; do
		s=$(printf '%s' "$s" | tr _ ' ')
		grep -q "^\.S[Hh] \"\{0,1\}$s" "$m" || missing="$missing $s,"
	done
	is "$missing" "" "$m has its sections"
done
