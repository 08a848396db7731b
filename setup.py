"""pip install of the checkout: the _native module is CMake's target shardy_python_native.

The pure-Python modules come from python/shardyfusion (python/tests is not installed). build_ext
configures a Release build into build/pip (Ninja, no tests, no benchmark) for the interpreter
running pip, builds the one target, and copies _native*.so where setuptools packs it into the wheel.

SHARDY_CMAKE_BUILD_DIR=DIR builds into DIR instead. If DIR is already configured (has a build.ninja
or Makefile), e.g. build/release, it is not configured again: only the target is built, so the flags
here never change that build (its tests, its optimisation) and nothing already built is rebuilt.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py
from setuptools.errors import SetupError

SOURCE_DIR = os.path.dirname(os.path.abspath(__file__))
TARGET = "shardy_python_native"


def cmake_project_version():
    with open(os.path.join(SOURCE_DIR, "CMakeLists.txt"), encoding="utf-8") as f:
        m = re.search(r"^project\([^)]*\bVERSION\s+([0-9][0-9.]*)", f.read(), re.MULTILINE)
    if not m:
        raise SetupError("CMakeLists.txt: no project(... VERSION x.y.z)")
    return m.group(1)


def run(cmd):
    print("setup.py: " + shlex.join(cmd), flush=True)
    try:
        subprocess.run(cmd, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise SetupError(f"{cmd[0]} failed ({e}); its output is above") from None


class CMakeBuildExt(build_ext):
    def build_extension(self, ext):
        given = os.environ.get("SHARDY_CMAKE_BUILD_DIR")
        # A relative DIR is under the source tree; an absolute one stays as it is.
        build_dir = os.path.join(SOURCE_DIR, given or os.path.join("build", "pip"))
        configured = any(os.path.exists(os.path.join(build_dir, f))
                         for f in ("build.ninja", "Makefile"))
        if given and configured:
            cache = os.path.join(build_dir, "CMakeCache.txt")
            with open(cache, encoding="utf-8", errors="replace") as f:
                python_off = r"^SHARDY_PYTHON:BOOL=(OFF|0|FALSE|NO)$"
                if re.search(python_off, f.read(), re.MULTILINE | re.IGNORECASE):
                    raise SetupError(f"{build_dir} is configured with SHARDY_PYTHON=OFF: "
                                     f"no {TARGET} to build")
        else:
            # Configured again every time (nothing is rebuilt if nothing changed): the
            # interpreter running pip may differ from the last install's (another virtualenv).
            run(["cmake", "-S", SOURCE_DIR, "-B", build_dir, "-G", "Ninja",
                 "-DCMAKE_BUILD_TYPE=Release",
                 # -O2: g++ 12 at -O3 reports false -Wrestrict errors (as scripts/build.sh release).
                 "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG",
                 "-DSHARDY_BUILD_TESTS=OFF", "-DSHARDY_BUILD_BENCH=OFF", "-DSHARDY_PYTHON=ON",
                 f"-DPython_EXECUTABLE={sys.executable}"])
        run(["cmake", "--build", build_dir, "--target", TARGET])

        # The module for this interpreter's ABI (a reused build may have been made for another).
        native = "_native" + sysconfig.get_config_var("EXT_SUFFIX")
        built = os.path.join(build_dir, "python", "shardyfusion", native)
        if not os.path.exists(built):
            raise SetupError(f"{built} not found after building {TARGET} (was {build_dir} "
                             f"configured for another Python than {sys.executable}?)")
        dest = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy(built, dest)


class FreshBuildPy(build_py):
    """Starts from an empty build/lib.*/shardyfusion: setuptools keeps it between installs, so a
    module removed from python/shardyfusion (or an old _native) would otherwise stay in the wheel."""

    def run(self):
        shutil.rmtree(os.path.join(self.build_lib, "shardyfusion"), ignore_errors=True)
        super().run()


setup(
    version=cmake_project_version(),
    package_dir={"": "python"},
    packages=find_packages(os.path.join(SOURCE_DIR, "python"),
                           include=["shardyfusion", "shardyfusion.*"]),
    package_data={"shardyfusion": ["py.typed"]},
    ext_modules=[Extension("shardyfusion._native", sources=[])],
    cmdclass={"build_py": FreshBuildPy, "build_ext": CMakeBuildExt},
)
