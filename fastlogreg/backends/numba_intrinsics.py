"""What numba does not expose: reinterpreting a float64's bits as an int64 and back, the vector width
LLVM may use, and a flat view of a C-contiguous array that still compiles for other layouts.

Each is a plain Python function (what runs under ``NUMBA_DISABLE_JIT=1``, so the kernels can be stepped
through uncompiled) that compiled code replaces with a single LLVM bitcast, a function attribute, or a
view built in place (and, for other layouts, an empty array, so that every layout compiles).
"""

import functools
from typing import Any

import numpy as np
from numba import types
from numba.core import cgutils
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic, overload
from numba.np.arrayobj import make_array, populate_array


def float_from_bits(bits):
    """The float64 whose IEEE bits are the int64 ``bits``."""
    return float(np.array(bits, dtype=np.int64).view(np.float64))


def bits_of_float(x):
    """The IEEE bits of the float64 ``x``, as an int64."""
    return int(np.array(x, dtype=np.float64).view(np.int64))


def _bitcast_to(target):
    @intrinsic
    def bitcast(typingctx, value):
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(target))

        source = types.int64 if target == types.float64 else types.float64
        return target(source), codegen

    return bitcast


_float_from_bits, _bits_of_float = _bitcast_to(types.float64), _bitcast_to(types.int64)


@overload(float_from_bits, inline="always")
def _float_from_bits_compiled(bits):
    return lambda bits: _float_from_bits(bits)


@overload(bits_of_float, inline="always")
def _bits_of_float_compiled(x):
    return lambda x: _bits_of_float(x)


def prefer_512_bit_vectors():
    """Nothing in Python. Called first in a compiled function, it lets LLVM vectorize that function's loops
    with 512-bit registers on CPUs that have them.

    For Intel's AVX-512 CPUs LLVM prefers 256-bit vectors (512-bit code lowered the clock of the first
    of them) unless a function says otherwise, as clang's ``-mprefer-vector-width=512`` does; AMD's Zen 4
    gets 512 bits already, and the code for CPUs without AVX-512 does not change. The kernels are bound
    by their arithmetic, which 512-bit vectors do in half the instructions (not in half the time):
    measured on a 16-core Xeon in README's "Many cores".
    """


@intrinsic
def _prefer_512_bit_vectors(typingctx):
    def codegen(context, builder, signature, args):
        # "prefer-vector-width" is a string attribute, which llvmlite's list of known function attributes
        # lacks: added to the attribute set directly, it is written into the function's IR as is.
        set.add(builder.function.attributes, '"prefer-vector-width"="512"')
        return context.get_dummy_value()

    return types.void(), codegen


@overload(prefer_512_bit_vectors, inline="always")
def _prefer_512_bit_vectors_compiled():
    return lambda: _prefer_512_bit_vectors()  # type: ignore[call-arg]  # numba supplies typingctx


def flat_rows(X, start, stop):
    """Rows start:stop of a C-contiguous 2-D X as one flat array, a view.

    Compiled for an X of another layout (which numba cannot reshape), it gives an empty array instead,
    so a kernel compiles for every layout although only its C-contiguous path calls this.
    """
    return X[start:stop].reshape(-1)


@intrinsic
def _flat_view(typingctx, X):
    """The 1-D view of all of a C-contiguous X. What X.reshape(-1) gives, without reshape's general
    machinery: 17 ns a call (about a 25th of an epoch over the tutorial's 12 rows, AMD Zen 1) against 1."""
    flat_type = X.copy(ndim=1, layout="C")

    def codegen(context, builder, signature, args):
        array = make_array(signature.args[0])(context, builder, args[0])
        size = functools.reduce(builder.mul, cgutils.unpack_tuple(builder, array.shape))
        flat = make_array(flat_type)(context, builder)
        populate_array(
            flat, data=array.data, shape=[size], strides=[array.itemsize], itemsize=array.itemsize,
            meminfo=array.meminfo, parent=array.parent,
        )  # fmt: skip
        return impl_ret_borrowed(context, builder, flat_type, flat._getvalue())

    return flat_type(X), codegen


# Typed on its own, the implementation returns a new view, which numba allows only with reference
# counting on (then inlined into kernels without it). Typed Any: "_nrt" is numba's private option.
_REFERENCE_COUNTED: Any = {"_nrt": True}


@overload(flat_rows, inline="always", jit_options=_REFERENCE_COUNTED)
def _flat_rows_compiled(X, start, stop):
    if X.layout == "C":
        return lambda X, start, stop: _flat_view(X[start:stop])  # type: ignore[call-arg]  # numba supplies typingctx
    return lambda X, start, stop: X[0, 0:0]
