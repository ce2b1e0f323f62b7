"""SPy's `build_info()` for spyvm_tinyenc, read from spygen's resolved module manifest.

A SPy out-of-tree module tells the compiler how to compile against it and link it, per
target: include dirs, public headers, archives, cflags, ldflags. spygen writes exactly that
after each build, with the sha256 of every file it names, as
<build dir>/<target>/<build type>/spyvm_tinyenc.spymod.json (schema spygen-module/1). This
reads it; no SPy is needed to try it:

    python3 build_info.py ../demo/build wasi debug
"""

import hashlib
import json
import pathlib
import sys

SCHEMA = "spygen-module/1"


def build_info(build_dir, target, build_type, module="spyvm_tinyenc", verify=True):
    """The module's build info for one configuration, as a dict of lists of strings.

    With `verify`, every archive and header must still have the hash the manifest recorded:
    a file rebuilt or edited since is an error, not a silently different build.
    """
    path = pathlib.Path(build_dir) / target / build_type / f"{module}.spymod.json"
    manifest = json.loads(path.read_text())
    if manifest["schema"] != SCHEMA:
        raise ValueError(f"{path}: schema {manifest['schema']}, expected {SCHEMA}")
    if verify:
        for name, digest in manifest["files"].items():
            if hashlib.sha256(pathlib.Path(name).read_bytes()).hexdigest() != digest:
                raise ValueError(f"{name} changed since {path} was written: rebuild")
    return {
        "include_dirs": manifest["include_dirs"],
        "public_headers": manifest["public_headers"],
        "archives": manifest["archives"],
        "cflags": manifest["cflags"],
        # What a link line needs after the objects: the archives in link order, then flags.
        "ldflags": manifest["archives"] + manifest["ldflags"],
        "exports": manifest["exports"],
        "compiler": manifest["toolchain"]["compiler"],
    }


if __name__ == "__main__":
    json.dump(build_info(*sys.argv[1:4]), sys.stdout, indent=2)
    print()
