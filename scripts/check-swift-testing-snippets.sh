#!/bin/sh
# Checks that every ```swift block of docs/swift-testing.md is an excerpt (contiguous lines,
# verbatim) of a file under Examples/, where the example packages compile it as real code.
#
#     scripts/check-swift-testing-snippets.sh
#
# Exits 1 naming each block found in no example file.
set -eu
cd "$(dirname "$0")/.."
python3 - <<'PY'
import pathlib, re, sys
doc = pathlib.Path("docs/swift-testing.md").read_text()
blocks = re.findall(r"```swift\n(.*?)```", doc, re.S)
sources = [p.read_text() for p in pathlib.Path("Examples").rglob("*.swift") if ".build" not in p.parts]
missing = [b for b in blocks if not any(b in s for s in sources)]
for block in missing:
    print("not in any file under Examples/:\n" + block, file=sys.stderr)
print(f"{len(blocks) - len(missing)} of {len(blocks)} swift blocks found in Examples/")
sys.exit(1 if missing else 0)
PY
