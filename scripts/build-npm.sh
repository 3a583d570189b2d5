#!/usr/bin/env bash
# Builds the npm packages of convex-go from the templates in npm/: one package
# per platform holding only the convex binary (@convex-go/<platform>-<arch>),
# and the main package convex-go (the `convex` launcher), which lists them as
# exact-version optional dependencies. See docs/install.md.
#
#   scripts/build-npm.sh [options] [version] [outdir]
#
#   version  the release version; a leading "v" is dropped (default, or
#            when "": the version in goreleaser's dist/metadata.json, else
#            0.0.0-dev)
#   outdir   where the tarballs go (default: dist/npm); the package
#            directories are assembled in <outdir>/packages
#
# Options:
#   -p, --platforms LIST  platforms to build, comma or space separated, from
#                         linux-x64 linux-arm64 darwin-x64 darwin-arm64
#                         win32-x64 win32-arm64; "current" is this machine's;
#                         default: all
#   --dist DIR            take the binaries from this goreleaser dist
#                         directory (each must be there)
#   --build               always build the binaries from source, even when
#                         dist/ holds a goreleaser build of this version
#   --no-pack             assemble the package directories but do not run
#                         `npm pack`
#
# Without --dist or --build, binaries come from ./dist when its
# metadata.json names the same version, and are built otherwise.
#
# The tarball paths are printed on stdout, platform packages first and the
# main package last: publish them in that order so that the main package
# never points at versions the registry does not have yet.
set -euo pipefail

ALL_PLATFORMS="linux-x64 linux-arm64 darwin-x64 darwin-arm64 win32-x64 win32-arm64"
MODULE=github.com/convex-go/convex

root=$(cd "$(dirname "$0")/.." && pwd)

log() { printf '%s\n' "$*" >&2; }
die() { printf 'build-npm: %s\n' "$*" >&2; exit 1; }

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

# goos/goarch of a platform name (Node's names: win32, x64).
goos_of() {
	case "${1%-*}" in
	linux | darwin) echo "${1%-*}" ;;
	win32) echo windows ;;
	*) die "unknown platform $1" ;;
	esac
}
goarch_of() {
	case "${1#*-}" in
	x64) echo amd64 ;;
	arm64) echo arm64 ;;
	*) die "unknown platform $1" ;;
	esac
}
exe_of() {
	if [ "${1%-*}" = win32 ]; then echo bin/convex.exe; else echo bin/convex; fi
}

current_platform() {
	local os arch
	os=$(go env GOHOSTOS)
	arch=$(go env GOHOSTARCH)
	case "$os" in windows) os=win32 ;; esac
	case "$arch" in amd64) arch=x64 ;; esac
	echo "$os-$arch"
}

platforms_arg=""
dist_dir=""
force_build=0
pack=1
positional=()
while [ $# -gt 0 ]; do
	case "$1" in
	-p | --platforms)
		[ $# -ge 2 ] || die "$1 needs a value"
		platforms_arg="$platforms_arg $2"
		shift 2
		;;
	--platforms=*)
		platforms_arg="$platforms_arg ${1#*=}"
		shift
		;;
	--dist)
		[ $# -ge 2 ] || die "$1 needs a value"
		dist_dir=$2
		shift 2
		;;
	--dist=*)
		dist_dir=${1#*=}
		shift
		;;
	--build)
		force_build=1
		shift
		;;
	--no-pack)
		pack=0
		shift
		;;
	-h | --help) usage ;;
	--)
		shift
		positional+=("$@")
		break
		;;
	-*) die "unknown option $1 (see --help)" ;;
	*)
		positional+=("$1")
		shift
		;;
	esac
done
[ ${#positional[@]} -le 2 ] || die "too many arguments (see --help)"
[ -z "$dist_dir" ] || [ $force_build -eq 0 ] || die "--dist and --build exclude each other"

command -v node >/dev/null || die "node is needed (to write package.json files)"
if [ $pack -eq 1 ]; then
	command -v npm >/dev/null || die "npm is needed to pack the packages (or pass --no-pack)"
fi

# dist_version prints the version in a goreleaser dist directory's metadata.
dist_version() {
	[ -f "$1/metadata.json" ] || return 0
	node -e 'try { process.stdout.write(String(require(process.argv[1]).version || "")) } catch (e) {}' \
		"$(cd "$1" && pwd)/metadata.json"
}

version=${positional[0]:-}
if [ -z "$version" ]; then
	version=$(dist_version "${dist_dir:-$root/dist}")
	version=${version:-0.0.0-dev}
fi
version=${version#v}
# npm accepts only semantic versions.
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$ ]] ||
	die "version $version is not a semantic version (like 1.2.3 or 1.2.4-rc.1)"

outdir=${positional[1]:-$root/dist/npm}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

# The platforms to build, validated and without duplicates.
platforms=()
for p in ${platforms_arg//,/ }; do
	case "$p" in
	all) for q in $ALL_PLATFORMS; do platforms+=("$q"); done ;;
	current) platforms+=("$(current_platform)") ;;
	*)
		case " $ALL_PLATFORMS " in
		*" $p "*) platforms+=("$p") ;;
		*) die "unknown platform $p (known: $ALL_PLATFORMS, current, all)" ;;
		esac
		;;
	esac
done
[ ${#platforms[@]} -gt 0 ] || read -r -a platforms <<<"$ALL_PLATFORMS"
read -r -a platforms <<<"$(printf '%s\n' "${platforms[@]}" | awk '!seen[$0]++' | tr '\n' ' ')"

# Where binaries come from: an explicit --dist, ./dist of the same version,
# or go build.
if [ -z "$dist_dir" ] && [ $force_build -eq 0 ] && [ -d "$root/dist" ] &&
	[ "$(dist_version "$root/dist")" = "$version" ]; then
	dist_dir=$root/dist
	dist_required=0
else
	dist_required=1
fi

# dist_binary prints the goreleaser binary for a platform, if there is one
# (goreleaser names its build directories <id>_<goos>_<goarch>[_<variant>]).
dist_binary() {
	local goos goarch exe f
	goos=$(goos_of "$1")
	goarch=$(goarch_of "$1")
	exe=convex
	[ "$goos" = windows ] && exe=convex.exe
	for f in "$dist_dir"/convex_"${goos}"_"${goarch}"/"$exe" "$dist_dir"/convex_"${goos}"_"${goarch}"_*/"$exe"; do
		if [ -f "$f" ]; then
			echo "$f"
			return
		fi
	done
}

commit=$(git -C "$root" rev-parse HEAD 2>/dev/null || true)
ldflags="-s -w -X $MODULE/internal/buildinfo.Version=$version"
[ -z "$commit" ] || ldflags="$ldflags -X $MODULE/internal/buildinfo.Commit=$commit"

# stamp_json rewrites a package.json: version, and the exact version of every
# optional dependency (the platform packages).
stamp_json() {
	node -e '
const fs = require("fs");
const [file, version] = process.argv.slice(1);
const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
pkg.version = version;
for (const dep of Object.keys(pkg.optionalDependencies || {})) {
  pkg.optionalDependencies[dep] = version;
}
fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
' "$1" "$version"
}

stage=$outdir/packages
rm -rf "$stage"
mkdir -p "$stage/@convex-go"

host=$(current_platform)
for p in "${platforms[@]}"; do
	dir=$stage/@convex-go/$p
	cp -R "$root/npm/@convex-go/$p" "$dir"
	stamp_json "$dir/package.json"
	exe=$(exe_of "$p")
	mkdir -p "$dir/bin"
	src=""
	if [ -n "$dist_dir" ]; then
		src=$(dist_binary "$p")
		if [ -z "$src" ] && [ $dist_required -eq 1 ]; then
			die "no $p binary in $dist_dir (looked for convex_$(goos_of "$p")_$(goarch_of "$p")*/)"
		fi
	fi
	if [ -n "$src" ]; then
		log "$p: binary from ${src#"$root"/}"
		cp "$src" "$dir/$exe"
	else
		log "$p: go build (GOOS=$(goos_of "$p") GOARCH=$(goarch_of "$p"))"
		(cd "$root" && CGO_ENABLED=0 GOOS=$(goos_of "$p") GOARCH=$(goarch_of "$p") \
			go build -trimpath -tags urfave_cli_no_docs -ldflags "$ldflags" -o "$dir/$exe" .)
	fi
	chmod 0755 "$dir/$exe"
	# A binary of another version (a stale dist/) would be published under
	# this one; the one binary that can run here is checked.
	if [ "$p" = "$host" ]; then
		got=$("$dir/$exe" --version) || die "$p: $exe --version failed"
		[ "$got" = "$version" ] || die "$p: the binary says version $got, not $version"
	fi
done

main=$stage/convex-go
cp -R "$root/npm/convex-go" "$main"
stamp_json "$main/package.json"
chmod 0755 "$main/bin/convex"

[ $pack -eq 1 ] || {
	log "packages assembled in $stage (not packed)"
	exit 0
}

# npm pack prints the tarball's file name as the last line of stdout.
pack_dir() {
	local name
	name=$(cd "$outdir" && npm pack --ignore-scripts --silent --pack-destination "$outdir" "$1" | tail -n 1)
	[ -f "$outdir/$name" ] || die "npm pack of $1 produced no tarball"
	echo "$outdir/$name"
}
for p in "${platforms[@]}"; do
	pack_dir "$stage/@convex-go/$p"
done
pack_dir "$main"
