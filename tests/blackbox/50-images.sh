# Engine images: recipes, `halobox build`, `halobox images`, engine/build,
# and the images themselves, with real podman.
#  - Recipe mistakes through the CLI: one line naming the file and the
#    field, exit 3; usage errors exit 2.
#  - `build --dry-run` for every recipe (upstream ones too): the argv
#    round-trips through the shell quoting and carries the expected
#    arguments, labels and base.
#  - engine/build against a fake source tree and a stub cmake: pin check,
#    patches in series order (failing loudly), the RPC server rename.
#  - With podman: `make base` when localhost/debian:sid is missing; build
#    vulkan-radv and cpu (once: later runs find them up to date); sizes; the
#    self-tests, including one with the Vulkan backend removed; llama-bench
#    on a synthetic model (Vulkan on lavapipe); `images --json` current,
#    then stale after a recipe copy changes.
# Podman runs here only with a containers.conf that the test writes (runc,
# ulimits it may set); real hosts need none, and the launcher never writes it.

TREE="$TMP/tree"
mkdir -p "$TREE"
# A copy of what builds read (podman will not follow symlinks out of the
# build context): the repository's own recipes stay untouched.
for d in recipes containers engine patches; do cp -r "$TOP/$d" "$TREE/$d"; done
TREE=$(cd "$TREE" && pwd -P)

# A podman that answers "no such image" to everything: dry runs then show
# each recipe's own base, whatever this machine holds.
mkdir -p "$TMP/bin"
printf '#!/bin/sh\nexit 1\n' >"$TMP/bin/podman-none"
printf '#!/bin/sh\nexit 0\n' >"$TMP/bin/podman-all"
chmod +x "$TMP/bin/podman-none" "$TMP/bin/podman-all"

hb() { # ARGS...: halobox with the recipe copy
    run env HALOBOX_RECIPES_DIR="$TREE/recipes" "$HALOBOX" "$@"
}

# ---- recipe validation through the CLI -----------------------------------

bad_recipe() { # JQ-FILTER EXPECTED-STDERR-SUBSTRING [RECIPE]
    local name=${3:-cpu}
    rm -rf "$TMP/bad"
    mkdir -p "$TMP/bad"
    cp -r "$TOP/recipes" "$TMP/bad/recipes"
    for d in containers engine patches; do ln -s "$TOP/$d" "$TMP/bad/$d"; done
    jq "$1" "$TOP/recipes/$name.json" >"$TMP/bad/recipes/$name.json"
    run env HALOBOX_RECIPES_DIR="$TMP/bad/recipes" "$HALOBOX" build "$name" --dry-run
    assert_rc 3
    assert_one_line_error
    assert_contains "$err" "$TMP/bad/recipes/$name.json: $2"
    assert_eq "$out" "" "stdout"
}

t_begin "recipe errors name the file and the field"
bad_recipe '. + {colour: "red"}' "colour: unknown key"
bad_recipe '.priority = "high"' "priority: expected a whole number from 0 to 1000"
bad_recipe 'del(.suits)' "suits: missing"
bad_recipe '.backend = "cuda"' "backend: 'cuda' is not vulkan, rocm or cpu"
bad_recipe '.suits.gfx_exclude = [7]' "suits.gfx_exclude[0]: expected a string, not a number"
bad_recipe '.patches = ["0042-nope.patch"]' \
    "patches[0]: 'patches/0042-nope.patch' does not exist" rocm-gfx1151
bad_recipe '.packages += ["vulkan-tools"]' "packages[5]: 'vulkan-tools' is not a pinned package"
bad_recipe '.engine.version = "b1"' "engine.version: 'b1' differs from VERSION=" vulkan-upstream
# not JSON at all
rm -rf "$TMP/bad" && mkdir -p "$TMP/bad" && cp -r "$TOP/recipes" "$TMP/bad/recipes"
printf '{"name": ' >"$TMP/bad/recipes/cpu.json"
run env HALOBOX_RECIPES_DIR="$TMP/bad/recipes" "$HALOBOX" images --json
# images still lists what podman has; the broken recipe only makes staleness unknown
assert_not_contains "$err" "Sanitizer"
run env HALOBOX_RECIPES_DIR="$TMP/bad/recipes" "$HALOBOX" build cpu --dry-run
assert_rc 3
assert_one_line_error
assert_contains "$err" "recipes/cpu.json: not valid JSON"
t_end

t_begin "build usage errors"
hb build
assert_rc 2
assert_contains "$err" "name a recipe, or give --all"
hb build --all cpu
assert_rc 2
hb build --frobnicate cpu
assert_rc 2
assert_one_line_error
hb build no-such-recipe --dry-run
assert_rc 3
assert_one_line_error
assert_contains "$err" "no recipe 'no-such-recipe'"
assert_contains "$err" "vulkan-radv"
run env HALOBOX_RECIPES_DIR="$TMP/nowhere" "$HALOBOX" build cpu --dry-run
assert_rc 3
assert_contains "$err" "HALOBOX_RECIPES_DIR"
hb build --help
assert_rc 0
assert_contains "$out" "--dry-run"
hb images --help
assert_rc 0
assert_contains "$out" "stale"
hb images --bogus
assert_rc 2
t_end

# ---- dry runs --------------------------------------------------------------

# dry_words RECIPE [ARGS...]: the dry run's argv back as words in $words
# (eval undoes the shell quoting halobox printed: a round trip).
dry_words() {
    local name=$1
    shift
    run env HALOBOX_RECIPES_DIR="$TREE/recipes" HALOBOX_PODMAN="${DRY_PODMAN:-$TMP/bin/podman-none}" \
        "$HALOBOX" build "$name" --dry-run "$@"
    assert_rc 0
    assert_clean_stderr
    [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || t_fail "$name: expected one line, got: $out"
    eval "words=( $out )"
}

has_word() { # WORD
    local w
    for w in "${words[@]}"; do [ "$w" = "$1" ] && return 0; done
    t_fail "expected the argument '$1' in: ${words[*]}"
}

lacks_word_prefix() { # PREFIX
    local w
    for w in "${words[@]}"; do
        case $w in "$1"*) t_fail "did not expect '$w'" ;; esac
    done
}

label_value() { # NAME -> the value of --label NAME=...
    local i
    for ((i = 0; i < ${#words[@]} - 1; i++)); do
        if [ "${words[i]}" = --label ] && [ "${words[i + 1]%%=*}" = "$1" ]; then
            printf '%s' "${words[i + 1]#*=}"
            return
        fi
    done
}

PIN_COMMIT=$(sed -n 's/^COMMIT=//p' "$TOP/engine/llama.cpp.pin")
PIN_VERSION=$(sed -n 's/^VERSION=//p' "$TOP/engine/llama.cpp.pin")

t_begin "build --dry-run: every recipe, the expected argv"
for f in "$TOP"/recipes/*.json; do
    name=$(jq -r .name "$f")
    version=$(jq -r .engine.version "$f")
    backend=$(jq -r .backend "$f")
    source=$(jq -r .engine.source "$f")
    dry_words "$name"
    assert_eq "${words[0]}" "$TMP/bin/podman-none" "$name argv[0]"
    assert_eq "${words[1]}" build "$name argv[1]"
    assert_eq "${words[${#words[@]} - 1]}" "$TREE" "$name context"
    has_word --file
    has_word "$TREE/$(jq -r .containerfile "$f")"
    has_word "localhost/halobox/$name:$version"
    has_word "BASE_IMAGE=$(jq -r .base.image "$f")"
    has_word "HALOBOX_RECIPE=$name"
    has_word "HALOBOX_BACKEND=$backend"
    has_word "PACKAGES=$(jq -r '.packages | join(" ")' "$f")"
    assert_eq "$(label_value halobox.recipe)" "$name" "$name halobox.recipe"
    assert_eq "$(label_value halobox.backend)" "$backend" "$name halobox.backend"
    assert_eq "$(label_value halobox.engine.version)" "$version" "$name halobox.engine.version"
    assert_eq "$(label_value org.opencontainers.image.version)" "$version" "$name oci version"
    [[ $(label_value halobox.recipe.sha256) =~ ^[0-9a-f]{64}$ ]] || t_fail "$name: no sha256 label"
    [[ $(label_value org.opencontainers.image.created) =~ ^20[0-9-]{8}T[0-9:]{8}Z$ ]] ||
        t_fail "$name: no created label"
    assert_eq "$(label_value org.opencontainers.image.base.name)" "$(jq -r .base.image "$f")" \
        "$name base label"
    if [ "$source" = distro ]; then
        has_word "DEBIAN_MIRROR=$(jq -r .distro.mirror "$f")"
        has_word "DEBIAN_SUITE=$(jq -r .distro.suite "$f")"
        assert_eq "$(label_value halobox.distro.snapshot)" "$(jq -r .distro.snapshot "$f")" \
            "$name snapshot label"
        lacks_word_prefix CMAKE_FLAGS=
    else
        assert_eq "$version" "$PIN_VERSION" "$name engine.version vs the pin"
        has_word "BUILD_IMAGE=$(jq -r .base.build "$f")"
        has_word "CMAKE_FLAGS=$(jq -r '.cmake_flags | join(" ")' "$f")"
        has_word "BUILD_PACKAGES=$(jq -r '.build_packages | join(" ")' "$f")"
        has_word "PATCHES=$(jq -r '.patches | join(" ")' "$f")"
        assert_eq "$(label_value halobox.engine.commit)" "$PIN_COMMIT" "$name commit label"
        assert_contains "$(jq -r '.cmake_flags | join(" ")' "$f")" "-DGGML_RPC=ON"
        lacks_word_prefix DEBIAN_MIRROR=
    fi
done
# the ROCm image: HIP for gfx1151, gfx1150 and RDNA3, unified memory for APUs
dry_words rocm-gfx1151
assert_contains "${words[*]}" "-DGGML_HIP=ON"
assert_contains "${words[*]}" "-DAMDGPU_TARGETS=gfx1151;gfx1150;gfx1100;gfx1101;gfx1102"
has_word "ROCM_VERSION=7.2.1"
assert_eq "$(jq -r .env.GGML_CUDA_ENABLE_UNIFIED_MEMORY "$TOP/recipes/rocm-gfx1151.json")" 1 "unified memory"
assert_eq "$(jq -r '.suits.gfx_exclude | index("gfx1151") != null' "$TOP/recipes/rocm-debian.json")" \
    true "rocm-debian excludes gfx1151"
t_end

t_begin "build --dry-run: base and mirror overrides"
dry_words cpu --base example.org/base:1 --mirror http://mirror.example/debian
has_word BASE_IMAGE=example.org/base:1
has_word DEBIAN_MIRROR=http://mirror.example/debian
assert_eq "$(label_value halobox.distro.mirror)" http://mirror.example/debian "mirror label"
# HALOBOX_BASE_IMAGE stands in for the bootstrapped Debian base only
words=()
run env HALOBOX_RECIPES_DIR="$TREE/recipes" HALOBOX_PODMAN="$TMP/bin/podman-none" \
    HALOBOX_BASE_IMAGE=localhost/mybase:1 HALOBOX_MIRROR=http://m.example/d \
    "$HALOBOX" build --all --dry-run
assert_rc 0
assert_eq "$(printf '%s\n' "$out" | wc -l)" "$(ls "$TOP"/recipes/*.json | wc -l)" "one line per recipe"
assert_contains "$(printf '%s\n' "$out" | grep halobox/cpu:)" "BASE_IMAGE=localhost/mybase:1"
assert_contains "$(printf '%s\n' "$out" | grep halobox/cpu:)" "DEBIAN_MIRROR=http://m.example/d"
assert_contains "$(printf '%s\n' "$out" | grep halobox/vulkan-upstream:)" "BASE_IMAGE=docker.io/library/ubuntu:26.04"
assert_not_contains "$(printf '%s\n' "$out" | grep halobox/vulkan-upstream:)" "m.example"
# the local base, once it exists, is preferred over pulling
DRY_PODMAN="$TMP/bin/podman-all" dry_words vulkan-radv
has_word "BASE_IMAGE=$(jq -r .base.local "$TOP/recipes/vulkan-radv.json")"
t_end

# ---- engine/build on a fake source tree ------------------------------------

# fake_tree DIR RPC-NAME: a git checkout standing in for llama.cpp.
fake_tree() {
    mkdir -p "$1/tools/rpc"
    printf 'set(TARGET %s)\nadd_executable(${TARGET} rpc-server.cpp)\n' "$2" >"$1/tools/rpc/CMakeLists.txt"
    printf 'line one\nline two\nline three\n' >"$1/notes.txt"
    (cd "$1" && git init -q && git add -A &&
        git -c user.name=t -c user.email=t@example.com commit -qm fake && git rev-parse HEAD)
}

# A cmake that "builds" each --target as a small program, plus libraries.
cat >"$TMP/bin/cmake" <<'EOF'
#!/bin/sh
if [ "$1" = --build ]; then
    dir=$2
    mkdir -p "$dir/bin"
    targets=0
    for a in "$@"; do
        if [ "$targets" = 1 ]; then
            printf '#!/bin/sh\necho "version: fake (target %s)"\n' "$a" >"$dir/bin/$a"
            chmod +x "$dir/bin/$a"
        fi
        [ "$a" = --target ] && targets=1
    done
    echo lib >"$dir/bin/libllama.so.0.0.1"
    ln -sf libllama.so.0.0.1 "$dir/bin/libllama.so.0"
    echo backend >"$dir/bin/libggml-vulkan.so"
    exit 0
fi
printf '%s\n' "$@" >"${CMAKE_ARGS_FILE:-/dev/null}"
EOF
chmod +x "$TMP/bin/cmake"

eb() { # ARGS...: engine/build with the stub cmake first in PATH
    run env PATH="$TMP/bin:$PATH" CMAKE_ARGS_FILE="$TMP/cmake.args" "$TOP/engine/build" "$@"
}

t_begin "engine/build: pin, patch order, RPC rename, install layout"
if ! command -v git >/dev/null 2>&1; then
    t_notrun "git is not installed"
else
    commit=$(fake_tree "$TMP/src" rpc-server)
    printf 'REPOSITORY=https://example.invalid/llama.cpp\nTAG=b1\nCOMMIT=%s\nVERSION=b1\nBUILD_NUMBER=1\n' \
        "$commit" >"$TMP/pin"
    mkdir -p "$TMP/patches"
    # 0002 changes what 0001 added: it applies only after 0001
    (cd "$TMP/src" && sed -i 's/line two/line two (patched by 0001)/' notes.txt &&
        git diff >"$TMP/patches/0001-first.patch" && git commit -qam p1 &&
        sed -i 's/(patched by 0001)/(patched by 0001, then 0002)/' notes.txt &&
        git diff >"$TMP/patches/0002-second.patch" && git reset -q --hard "$commit")
    printf '# order\n0001-first.patch\n0002-second.patch\n' >"$TMP/patches/series"
    flags="-DGGML_VULKAN=ON -DGGML_RPC=ON -DGGML_BACKEND_DL=ON"
    eb --backend vulkan --prefix "$TMP/opt" --source "$TMP/src" --pin "$TMP/pin" \
        --patch-dir "$TMP/patches" --patches "0002-second.patch 0001-first.patch" \
        --cmake-flags "$flags"
    assert_rc 0
    assert_eq "$(sed -n 2p "$TMP/src/notes.txt")" "line two (patched by 0001, then 0002)" "patched file"
    for p in llama-server llama-cli llama-bench ggml-rpc-server libllama.so.0 libggml-vulkan.so; do
        [ -e "$TMP/opt/bin/$p" ] || t_fail "not installed: $p"
    done
    [ -L "$TMP/opt/bin/libllama.so.0" ] || t_fail "library symlinks are not kept"
    # the old name was built, the one name is installed
    assert_contains "$("$TMP/opt/bin/ggml-rpc-server")" "(target rpc-server)"
    assert_contains "$(cat "$TMP/cmake.args")" "-DGGML_VULKAN=ON"
    assert_contains "$(cat "$TMP/cmake.args")" "-DLLAMA_BUILD_NUMBER=1"
    assert_contains "$(cat "$TMP/cmake.args")" '-DCMAKE_INSTALL_RPATH=$ORIGIN'
    assert_contains "$(cat "$TMP/opt/share/halobox-engine.txt")" "patches=0001-first.patch 0002-second.patch"

    # the current name
    commit2=$(fake_tree "$TMP/src2" ggml-rpc-server)
    sed "s/^COMMIT=.*/COMMIT=$commit2/" "$TMP/pin" >"$TMP/pin2"
    eb --backend cpu --prefix "$TMP/opt2" --source "$TMP/src2" --pin "$TMP/pin2" \
        --cmake-flags "-DGGML_RPC=ON"
    assert_rc 0
    assert_contains "$("$TMP/opt2/bin/ggml-rpc-server")" "(target ggml-rpc-server)"

    # a checkout that is not the pin
    eb --backend cpu --prefix "$TMP/opt3" --source "$TMP/src2" --pin "$TMP/pin" --cmake-flags "-DGGML_RPC=ON"
    assert_rc 1
    assert_contains "$err" "not the pinned $commit"
    # a patch that does not apply (already applied above) stops the build
    eb --backend vulkan --prefix "$TMP/opt4" --source "$TMP/src" --pin "$TMP/pin" \
        --patch-dir "$TMP/patches" --patches "0001-first.patch" --cmake-flags "$flags"
    assert_rc 1
    assert_contains "$err" "patch 0001-first.patch does not apply"
    # a patch outside the series has no order
    cp "$TMP/patches/0001-first.patch" "$TMP/patches/0003-stray.patch"
    eb --backend vulkan --prefix "$TMP/opt5" --source "$TMP/src" --pin "$TMP/pin" \
        --patch-dir "$TMP/patches" --patches "0003-stray.patch" --cmake-flags "$flags"
    assert_rc 1
    assert_contains "$err" "is not listed in"
    # the recipe's flags must turn its backend and RPC on
    eb --backend rocm --prefix "$TMP/opt6" --source "$TMP/src2" --pin "$TMP/pin2" --cmake-flags "-DGGML_RPC=ON"
    assert_rc 1
    assert_contains "$err" "needs -DGGML_HIP=ON"
    eb --backend cpu --prefix "$TMP/opt6" --source "$TMP/src2" --pin "$TMP/pin2" --cmake-flags ""
    assert_rc 1
    assert_contains "$err" "-DGGML_RPC=ON is missing"
    t_end
fi

# ---- real podman -------------------------------------------------------------

. "$TOP/tests/blackbox/engine.sh"
podman_setup

# build_image NAME MAX_MB: builds (or finds up to date) and checks the last line.
build_image() {
    hb build "$1" "${MIRROR_ARGS[@]}"
    assert_rc 0
    assert_clean_stderr
    local last
    last=$(printf '%s\n' "$out" | tail -n 1)
    [[ $last =~ ^(built|up-to-date)\ localhost/halobox/$1:[A-Za-z0-9_.-]+\ [0-9.]+\ MB\ \(([0-9]+)\ bytes\)$ ]] ||
        t_fail "last line: '$last'"
    local bytes=${BASH_REMATCH[2]:-0}
    [ "$bytes" -gt 0 ] && [ "$bytes" -le $(($2 * 1000 * 1000)) ] ||
        t_fail "$1 is $bytes bytes, over $2 MB"
    printf '%s: %s\n' "$1" "$last" >&2
}

for spec in "vulkan-radv 450" "cpu 250"; do
    set -- $spec
    t_begin "build $1 (at most $2 MB)"
    if [ "$PODMAN_OK" != yes ]; then t_notrun "$PODMAN_OK"; else
        build_image "$1" "$2"
        # a second build finds it current
        hb build "$1" "${MIRROR_ARGS[@]}"
        assert_rc 0
        assert_contains "$out" "up-to-date localhost/halobox/$1:"
        t_end
    fi
done

VK=$(jq -r '"localhost/halobox/" + .name + ":" + .engine.version' "$TOP/recipes/vulkan-radv.json")
CPU=$(jq -r '"localhost/halobox/" + .name + ":" + .engine.version' "$TOP/recipes/cpu.json")

t_begin "self-tests: vulkan on lavapipe, cpu, and a broken image"
if [ "$PODMAN_OK" != yes ]; then t_notrun "$PODMAN_OK"; else
    run podman run --rm "$CPU"
    assert_rc 0
    assert_contains "$out" "engine: "
    assert_contains "$out" "selftest: ok"
    run podman run --rm -e GGML_VK_VISIBLE_DEVICES=0 "$VK"
    assert_rc 0
    assert_contains "$out" "Vulkan0: llvmpipe"
    assert_contains "$out" "rpc server: /usr/local/bin/ggml-rpc-server"
    # lavapipe is hidden unless asked for: the backend loads, no device
    run podman run --rm "$VK"
    assert_rc 3
    assert_contains "$out" "loaded but lists no device"
    run podman run --rm "$VK" halobox-selftest --no-device
    assert_rc 0
    # the backend library gone: the self-test must say so and fail
    run podman run --rm -e GGML_VK_VISIBLE_DEVICES=0 "$VK" \
        sh -c 'rm -f /usr/lib/*/ggml/backends0/libggml-vulkan.so && halobox-selftest'
    assert_rc 2
    assert_contains "$out" "the Vulkan backend did not load"
    t_end
fi

t_begin "runtime images hold no compiler, headers, Python or apt lists"
if [ "$PODMAN_OK" != yes ]; then t_notrun "$PODMAN_OK"; else
    for img in "$VK" "$CPU"; do
        run podman run --rm "$img" sh -c 'for p in gcc cc c++ clang python3 cmake; do
            command -v $p; done; ls /usr/include 2>/dev/null | head -3; ls /var/lib/apt/lists | grep -v -e lock -e partial'
        assert_eq "$out" "" "$img extras"
    done
    # only RADV and lavapipe of Mesa's Vulkan drivers
    run podman run --rm "$VK" sh -c 'ls /usr/share/vulkan/icd.d'
    assert_eq "$(printf '%s' "$out" | tr '\n' ' ')" "lvp_icd.json radeon_icd.json" "ICDs"
    t_end
fi

t_begin "llama-bench on a synthetic model: Vulkan on lavapipe, CPU"
if [ "$PODMAN_OK" != yes ]; then
    t_notrun "$PODMAN_OK"
else
    run "$HALOBOX" models synth --preset tiny -o "$TMP/tiny.gguf"
    assert_rc 0
    for spec in "$VK Vulkan" "$CPU CPU"; do
        set -- $spec
        run podman run --rm -e GGML_VK_VISIBLE_DEVICES=0 -v "$TMP/tiny.gguf:/models/tiny.gguf:ro" \
            "$1" llama-bench -m /models/tiny.gguf -p 32 -n 4 -r 1 -o json
        assert_rc 0
        assert_eq "$(jqv "$out" '.[0].backends')" "$2" "$1 backends"
        assert_eq "$(jqv "$out" '[.[] | .avg_ts > 0] | all')" true "$1 speeds"
        assert_eq "$(jqv "$out" '.[0].model_filename')" /models/tiny.gguf "$1 model"
    done
    t_end
fi

t_begin "images --json: current, then stale when the recipe changes"
if [ "$PODMAN_OK" != yes ]; then t_notrun "$PODMAN_OK"; else
    hb images --json
    assert_rc 0
    assert_eq "$(jqv "$out" "[.[] | select(.tag == \"$VK\")][0].stale")" false "vulkan-radv stale"
    assert_eq "$(jqv "$out" "[.[] | select(.tag == \"$CPU\")][0].stale")" false "cpu stale"
    assert_eq "$(jqv "$out" "[.[] | select(.tag == \"$VK\")][0].backend")" vulkan "backend"
    assert_eq "$(jqv "$out" "[.[] | select(.tag == \"$CPU\")][0].engine_version")" \
        "$(jq -r .engine.version "$TOP/recipes/cpu.json")" "engine version"
    [ "$(jqv "$out" "[.[] | select(.tag == \"$CPU\")][0].size_bytes")" -gt 1000000 ] ||
        t_fail "no size"
    [[ $(jqv "$out" "[.[] | select(.tag == \"$CPU\")][0].created") =~ ^20[0-9-]{8}T ]] ||
        t_fail "no created time"
    # a changed recipe (the copy; the repository's stays as it is)
    jq '.description += " (changed)"' "$TOP/recipes/cpu.json" >"$TREE/recipes/cpu.json"
    hb images --json
    assert_rc 0
    assert_eq "$(jqv "$out" "[.[] | select(.tag == \"$CPU\")][0].stale")" true "cpu stale after the change"
    assert_eq "$(jqv "$out" "[.[] | select(.tag == \"$VK\")][0].stale")" false "vulkan-radv unchanged"
    hb images
    assert_rc 0
    assert_contains "$(printf '%s\n' "$out" | grep "$CPU")" stale
    assert_contains "$(printf '%s\n' "$out" | grep "$VK")" current
    cp "$TOP/recipes/cpu.json" "$TREE/recipes/cpu.json"
    t_end
fi

t_begin "make base is idempotent"
if [ "$PODMAN_OK" != yes ]; then t_notrun "$PODMAN_OK"; else
    run "$TOP/scripts/make-base"
    assert_rc 0
    printf '%s' "$err" | grep -qE 'exists|already here' || t_fail "make-base did something: $err"
    t_end
fi
