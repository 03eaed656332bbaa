"""Build the compiled core (chrtool/_fast/*.pyx) with one set of Cython directives.

CHRTOOL_DEBUG=1 turns on bounds checks and line tracing (fuzzing, coverage) and builds with
AddressSanitizer and UBSan (boundscheck does not cover pointer reads; the sanitizers do). Python
then needs the ASan runtime loaded first: LD_PRELOAD=$(gcc -print-file-name=libasan.so), see
.ci/sanitize. CHRTOOL_ONLY=capture,s1ap rebuilds just those modules (handy with
`build_ext --inplace`).
"""
import glob
import os

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("CHRTOOL_DEBUG") == "1"
ONLY = {name for name in os.environ.get("CHRTOOL_ONLY", "").split(",") if name}

DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": False,
    "initializedcheck": DEBUG,
    "cdivision": True,
    "embedsignature": True,
}
MACROS = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
COMPILE_ARGS, LINK_ARGS = ["-O3"], []
if DEBUG:
    DIRECTIVES.update(linetrace=True, profile=True)
    MACROS.append(("CYTHON_TRACE_NOGIL", "1"))
    # -O1 keeps the sanitized build and its test run quick; UBSan findings stop the run;
    # -fno-wrapv undoes Python's -fwrapv, under which signed overflow is defined and UBSan
    # would not report it
    SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
                "-fno-omit-frame-pointer", "-fno-wrapv"]
    COMPILE_ARGS = ["-O1", "-g", *SANITIZE]
    LINK_ARGS = SANITIZE


def extensions():
    for path in sorted(glob.glob("chrtool/_fast/*.pyx")):
        name = os.path.splitext(os.path.basename(path))[0]
        if ONLY and name not in ONLY:
            continue
        yield Extension(
            f"chrtool._fast.{name}",
            [path],
            include_dirs=[numpy.get_include()],
            define_macros=MACROS,
            extra_compile_args=COMPILE_ARGS,
            extra_link_args=LINK_ARGS,
        )


PACKAGES = ["chrtool." + os.path.relpath(d, "chrtool").replace(os.sep, ".")
            for d in sorted(glob.glob("chrtool/*/")) if os.path.exists(d + "__init__.py")]

setup(
    packages=["chrtool", *PACKAGES, "chrtool.decoders"],
    package_dir={"chrtool.decoders": "decoders"},
    package_data={"chrtool.diagnose": ["*.toml"], "chrtool.link": ["*.toml"], "chrtool._fast": ["*.pxd", "*.pxi", "*.pyi"],
                  "chrtool.decoders": ["*.json", "*.toml", "maps/*"]},
    # the debug C (bounds checks, tracing) goes to its own directory: cythonize only looks at
    # timestamps, so sharing chrtool/_fast/*.c would let a later normal build compile debug C
    ext_modules=cythonize(list(extensions()), compiler_directives=DIRECTIVES,
                          include_path=["."], annotate=DEBUG,
                          build_dir="build/debug-c" if DEBUG else None),
    zip_safe=False,
)
