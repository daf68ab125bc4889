"""What the hello event says about this interpreter's torch: versions (torch,
numpy, BLAS, oneDNN, CUDA, cuDNN, NCCL) and the GPUs it sees."""

import os
import platform
import re

import numpy as np
import torch


def loaded_blas(maps="/proc/self/maps"):
    """The BLAS libraries the process actually mapped: Debian switches libblas
    with update-alternatives, so the build settings alone do not say which
    one runs."""
    libs = set()
    try:
        with open(maps) as f:
            for line in f:
                parts = line.split()
                if len(parts) < 6:
                    continue
                base = os.path.basename(parts[-1])
                if any(k in base for k in ("blas", "mkl_core", "mkl_rt", "blis", "accelerate")):
                    libs.add(os.path.realpath(parts[-1]))
    except OSError:
        pass
    return ", ".join(sorted(libs))


def versions():
    """The hello event's versions: strings, empty where a part is absent."""
    try:
        cfg = torch.__config__.show()
    except Exception:  # noqa: BLE001
        cfg = ""

    blas = []
    m = re.search(r"\bBLAS_INFO=([^,\s]*)", cfg)
    if m:
        blas.append("BLAS_INFO=" + m.group(1))
    for line in cfg.splitlines():
        if "Math Kernel Library" in line:
            blas.append(line.strip(" -"))
    mapped = loaded_blas()
    if mapped:
        blas.append("loaded " + mapped)

    onednn = ""
    m = re.search(r"(?:MKL-DNN|oneDNN)\s+(v[0-9][0-9.]*)", cfg)
    if m:
        onednn = m.group(1)
    try:
        if torch.backends.mkldnn.is_available():
            onednn = (onednn + " available").strip()
        elif onednn:
            onednn += " (not available)"
    except Exception:  # noqa: BLE001
        pass

    cudnn = ""
    try:
        v = torch.backends.cudnn.version()
        cudnn = "" if v is None else str(v)
    except Exception:  # noqa: BLE001
        pass

    nccl = ""
    try:
        if torch.cuda.is_available():
            v = torch.cuda.nccl.version()
            # A tuple (2, 14, 3) in torch >= 1.9; an int code in older ones.
            nccl = ".".join(str(x) for x in v) if isinstance(v, (tuple, list)) else str(v)
    except Exception:  # noqa: BLE001
        pass

    return {
        "python": platform.python_version(),
        "torch": str(torch.__version__),
        "numpy": str(np.__version__),
        "blas": "; ".join(blas),
        "onednn": onednn,
        "cuda": torch.version.cuda or "",
        "cudnn": cudnn,
        "nccl": nccl,
    }


def gpu_count():
    """GPUs torch sees; 0 without CUDA (device_count() can raise on a broken driver)."""
    try:
        return int(torch.cuda.device_count())
    except Exception:  # noqa: BLE001
        return 0
