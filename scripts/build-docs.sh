#!/bin/sh
# Builds the DocC documentation of the libraries users import, with the swift-docc-plugin:
#
#     scripts/build-docs.sh            # → .build/docs/Testbed, .build/docs/TestbedTesting
#
# Each folder is a static site (open it through any web server, e.g.
# `python3 -m http.server -d .build/docs/Testbed`, then /documentation/testbed).
# Warnings are errors: the script exits non-zero on any warning of DocC (a symbol link that
# does not resolve, a topic that names nothing) or of the build it runs, and when a Swift
# block of an article in Sources/*/*.docc is not an excerpt of Examples/ or docs/.
#
# It builds the package as plain `swift build` does (debug, default traits), so after CI's
# `swift build --build-tests` it only extracts the symbol graphs and runs DocC.
set -eu
cd "$(dirname "$0")/.."
out=.build/docs

# Every ```swift block of the catalogs' articles is an excerpt (the same lines, indentation
# aside) of a file under Examples/, which CI compiles, or of docs/*.md.
python3 - <<'PY'
import pathlib, re, sys
def lines(text):
    return [line.strip() for line in text.splitlines()]
sources = [lines(p.read_text()) for p in pathlib.Path("Examples").rglob("*.swift") if ".build" not in p.parts]
docs = [lines(p.read_text()) for p in pathlib.Path("docs").glob("*.md")]
def contains(haystack, needle):
    return any(haystack[i:i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1))
missing, counted = [], 0
for article in sorted(pathlib.Path("Sources").glob("*/*.docc/*.md")):
    for block in re.findall(r"```swift\n(.*?)```", article.read_text(), re.S):
        counted += 1
        needle = lines(block.rstrip("\n"))
        if not any(contains(s, needle) for s in sources + docs):
            missing.append((article, block))
for article, block in missing:
    print(f"{article}: a swift block in no file under Examples/ or docs/:\n{block}", file=sys.stderr)
print(f"{counted - len(missing)} of {counted} swift blocks of the DocC articles found in Examples/ or docs/")
sys.exit(1 if missing else 0)
PY

mkdir -p "$out"
log="$out/build-docs.log"
: > "$log"
status=0
for target in Testbed TestbedTesting; do
    lower=$(printf '%s' "$target" | tr '[:upper:]' '[:lower:]')
    swift package --allow-writing-to-directory "$out" \
        generate-documentation --target "$target" --warnings-as-errors \
        --transform-for-static-hosting --output-path "$out/$target" > "$out/$target.log" 2>&1 || status=1
    grep -v '^\[[0-9]*/[0-9]*\]' "$out/$target.log" || true
    cat "$out/$target.log" >> "$log"
    [ -f "$out/$target/documentation/$lower/index.html" ] || { echo "no $out/$target/documentation/$lower" >&2; status=1; }
done
# --warnings-as-errors covers DocC's own diagnostics; a warning of the build or of the
# symbol graph extraction fails the script too, but for those of dependencies (a path under
# .build/checkouts, or SwiftPM's "'PACKAGE': found N file(s) which are unhandled" about one).
deps=$(ls .build/checkouts 2>/dev/null | tr '\n' '|' | sed 's/|$//')
if grep -i 'warning:' "$log" | grep -v '/\.build/checkouts/' \
        | grep -Ev "warning: '($deps)': found [0-9]* file\(s\) which are unhandled" >&2; then
    echo "build-docs: warnings above are errors" >&2
    status=1
fi
[ "$status" = 0 ] && echo "documentation: $out/Testbed, $out/TestbedTesting"
exit "$status"
