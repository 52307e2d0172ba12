"""The review engine's optional C module (src/qunzu/review/_native.c, decision 0007); everything else about the
package is in pyproject.toml. Without a compiler the build goes on without it and the engine runs its Python path."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "qunzu.review._native",
            sources=["src/qunzu/review/_native.c"],
            optional=True,
            extra_compile_args=["-O2", "-Wall", "-Werror=incompatible-pointer-types"],
        )
    ]
)
