#!/usr/bin/env bash
# The layering of ARCHITECTURE.md holds on the tree, and the checker fails,
# naming the file and the include, when a file reaches a layer it must not
# or an include circle appears.
. "$(dirname "$0")/lib.sh"

check() { # check DIR: sets RC, OUT
	OUT=$(python3 "$REPO/tests/lint/layering.py" "$1" 2>&1)
	RC=$?
	ERR=$OUT
}

check "$REPO"
expect_rc 0 "the tree keeps its layers"
expect_out "layering: 1 passed, 0 failed" "summary line"

copy=$SCRATCH/tree
mkdir -p "$copy"
cp -r "$REPO/lib" "$REPO/devx" "$REPO/policy" "$REPO/controller" "$copy/"

# devx reaching up into the controller.
sed -i 's|#include "devx/prm.h"|#include "devx/prm.h"\n#include "controller/core/host.h"|' \
	"$copy/devx/fw.c"
check "$copy"
expect_rc 1 "devx including the controller fails"
expect_err 'devx/fw.c:' "names the file and line"
expect_err 'includes "controller/core/host.h": devx/ may use only lib/, devx/' \
	"names the include and the rule"
cp "$REPO/devx/fw.c" "$copy/devx/fw.c"

# policy and devx including each other; lib including anything.
echo '#include "devx/prm.h"' >>"$copy/policy/eval.c"
echo '#include "policy/policy.h"' >>"$copy/lib/size.c"
check "$copy"
expect_rc 1 "policy -> devx and lib -> policy fail"
expect_err 'policy/eval.c:' "policy including devx named"
expect_err 'lib/size.c:' "lib including policy named"
cp "$REPO/policy/eval.c" "$copy/policy/eval.c"
cp "$REPO/lib/size.c" "$copy/lib/size.c"

# A circle between two headers of one room.
echo '#include "lib/file.h"' >>"$copy/lib/err.h"
check "$copy"
expect_rc 1 "an include circle fails"
expect_err 'include circle: lib/err.h -> lib/file.h -> lib/err.h' "circle named"
cp "$REPO/lib/err.h" "$copy/lib/err.h"

# A file in no room.
echo 'int x;' >"$copy/controller/stray.c"
check "$copy"
expect_rc 1 "a file outside the rooms fails"
expect_err 'controller/stray.c: in no room' "stray file named"
rm "$copy/controller/stray.c"

check "$copy"
expect_rc 0 "the restored copy passes again"
finish
