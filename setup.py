"""Build the compiled core (chrtool/_fast/*.pyx) with one set of Cython directives.

CHRTOOL_DEBUG=1 turns on bounds checks and line tracing (fuzzing, coverage);
CHRTOOL_ONLY=capture,s1ap rebuilds just those modules (handy with `build_ext --inplace`).
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
if DEBUG:
    DIRECTIVES.update(linetrace=True, profile=True)
    MACROS.append(("CYTHON_TRACE_NOGIL", "1"))


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
            extra_compile_args=["-O0", "-g"] if DEBUG else ["-O3"],
        )


PACKAGES = ["chrtool." + os.path.relpath(d, "chrtool").replace(os.sep, ".")
            for d in sorted(glob.glob("chrtool/*/")) if os.path.exists(d + "__init__.py")]

setup(
    packages=["chrtool", *PACKAGES, "chrtool.decoders"],
    package_dir={"chrtool.decoders": "decoders"},
    package_data={"chrtool.diagnose": ["rules.toml"], "chrtool._fast": ["*.pxd", "*.pxi", "*.pyi"],
                  "chrtool.decoders": ["*.json", "*.toml", "maps/*"]},
    ext_modules=cythonize(list(extensions()), compiler_directives=DIRECTIVES,
                          include_path=["."], annotate=DEBUG),
    zip_safe=False,
)
