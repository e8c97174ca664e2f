"""Reference texts for internal/triton, on the GPU machine: the Triton IR that torch's Triton
writes for an add-one kernel (to compare the dialect syntax with internal/triton's AddOne),
and the custom call JAX's Pallas lowering writes for the same kernel (to compare the call's
attributes with triton.Kernel.Attributes). Prints what it can; each part may fail alone.

    python3 bench/triton_ttir.py > triton_ref.txt
"""
import traceback


def torch_triton():
    import torch
    import triton
    import triton.language as tl

    print(f"== torch {torch.__version__}, triton {triton.__version__}")

    @triton.jit
    def add_one(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
        pid = tl.program_id(0)
        offs = pid * BLOCK + tl.arange(0, BLOCK)
        mask = offs < n
        tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=mask) + 1.0, mask=mask)

    x = torch.arange(1000, device="cuda", dtype=torch.float32) / 4
    y = torch.empty_like(x)
    k = add_one[(8,)](x, y, 1000, BLOCK=128)
    assert torch.equal(y, x + 1)
    print(k.asm["ttir"])


def jax_pallas():
    import jax
    import jax.numpy as jnp
    from jax.experimental import pallas as pl

    print(f"== jax {jax.__version__}, devices {jax.devices()}")

    def kernel(x_ref, y_ref):
        y_ref[...] = x_ref[...] + 1.0

    f = pl.pallas_call(kernel, out_shape=jax.ShapeDtypeStruct((1024,), jnp.float32), grid=(8,),
                       in_specs=[pl.BlockSpec((128,), lambda i: (i,))], out_specs=pl.BlockSpec((128,), lambda i: (i,)))
    x = jnp.arange(1024, dtype=jnp.float32)
    text = jax.jit(f).lower(x).as_text()
    for line in text.splitlines():
        if "custom_call" in line:
            print(line[:2000])
    print("result ok:", bool((jax.jit(f)(x) == x + 1).all()))


for part in (torch_triton, jax_pallas):
    try:
        part()
    except Exception:
        print(f"== {part.__name__} failed")
        traceback.print_exc()
