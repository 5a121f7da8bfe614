"""Reinterpreting a float64's bits as an int64 and back: machine moves numba does not expose.

Each is a plain Python function (what runs under ``NUMBA_DISABLE_JIT=1``, so the kernels can be stepped
through uncompiled) that compiled code replaces with a single LLVM bitcast.
"""

import numpy as np
from numba import types
from numba.extending import intrinsic, overload


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
