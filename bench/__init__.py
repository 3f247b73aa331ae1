"""Benchmarks: ``python -m bench --help``."""

from bot.blas import quiet_blas_threads

quiet_blas_threads()  # as ``ainews`` does, before numpy loads: the benchmarks measure that
