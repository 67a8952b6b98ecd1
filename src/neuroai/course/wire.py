"""Plain data across the sandbox wall: what a graded function receives and returns, as JSON + .npz.

The grader and the sandboxed student process share no objects. Values cross as a JSON tree in which
every array is a reference into an .npz file read with `allow_pickle=False`. The decoder rebuilds
builtin types only (int, float, bool, str, None, list, tuple, dict with str keys, numpy arrays, torch
tensors), so an object with a rigged `__eq__`, an ndarray or float subclass, or a pickle bomb cannot
reach the grader's comparison. Anything else is refused with `WireError`.

    tree, arrays = encode(value)          # tree: JSON-able; arrays: {name: np.ndarray}
    value = decode(tree, arrays)
"""
import numpy as np

MAX_DEPTH = 20
MAX_ITEMS = 10_000
MAX_ARRAY_BYTES = 64 * 2**20
_DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "float16", "float32", "float64",
           "complex64", "complex128"}


class WireError(ValueError):
    """A value that cannot cross the sandbox wall as plain data."""


def encode(value):
    arrays = {}
    count = [0]

    def enc(v, depth):
        count[0] += 1
        if depth > MAX_DEPTH or count[0] > MAX_ITEMS:
            raise WireError("value is nested too deeply or has too many items")
        if v is None or isinstance(v, (bool, str)):
            return v if not isinstance(v, str) else {"t": "str", "v": str(v)}
        if isinstance(v, int):
            return {"t": "int", "v": str(int(v))}
        if isinstance(v, float):
            return {"t": "float", "v": repr(float(v))}
        if isinstance(v, (np.integer, np.floating, np.bool_)):
            return enc(v.item(), depth)
        if isinstance(v, np.ndarray) or _is_tensor(v):
            kind = "ndarray" if isinstance(v, np.ndarray) else "tensor"
            a = np.array(v.detach().cpu().numpy() if kind == "tensor" else v, copy=True)
            if a.dtype.name not in _DTYPES:
                raise WireError(f"arrays of dtype {a.dtype} are not plain data")
            if a.nbytes > MAX_ARRAY_BYTES:
                raise WireError(f"array of {a.nbytes} bytes is larger than {MAX_ARRAY_BYTES}")
            name = f"a{len(arrays)}"
            arrays[name] = a.view(np.ndarray)
            return {"t": kind, "a": name}
        if isinstance(v, (list, tuple)):
            return {"t": "list" if isinstance(v, list) else "tuple", "v": [enc(x, depth + 1) for x in v]}
        if isinstance(v, dict):
            if not all(isinstance(k, str) for k in v):
                raise WireError("only dicts with string keys are plain data")
            return {"t": "dict", "v": [[str(k), enc(x, depth + 1)] for k, x in v.items()]}
        raise WireError(f"a {type(v).__name__} is not plain data")

    return enc(value, 0), arrays


def _is_tensor(v):
    try:
        import torch
    except ImportError:
        return False
    return isinstance(v, torch.Tensor)


def decode(tree, arrays):
    """Rebuild a value from a JSON tree and a mapping of arrays (both untrusted)."""
    count = [0]

    def dec(node, depth):
        count[0] += 1
        if depth > MAX_DEPTH or count[0] > MAX_ITEMS:
            raise WireError("value is nested too deeply or has too many items")
        if node is None or type(node) is bool:
            return node
        if type(node) is not dict or type(node.get("t")) is not str:
            raise WireError("malformed value")
        t = node["t"]
        if t == "str" and type(node.get("v")) is str:
            return node["v"]
        if t == "int" and type(node.get("v")) is str and len(node["v"]) < 400:
            return int(node["v"])
        if t == "float" and type(node.get("v")) is str and len(node["v"]) < 40:
            return float(node["v"])
        if t in ("ndarray", "tensor") and type(node.get("a")) is str and node["a"] in arrays:
            a = arrays[node["a"]]
            if type(a) is not np.ndarray or a.dtype.name not in _DTYPES:
                raise WireError("malformed array")
            a = np.array(a, dtype=a.dtype.newbyteorder("="), copy=True)     # native byte order, own memory
            if t == "ndarray":
                return a
            import torch
            return torch.from_numpy(a)
        if t in ("list", "tuple") and type(node.get("v")) is list:
            items = [dec(x, depth + 1) for x in node["v"]]
            return items if t == "list" else tuple(items)
        if t == "dict" and type(node.get("v")) is list:
            out = {}
            for pair in node["v"]:
                if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                    raise WireError("malformed dict")
                out[pair[0]] = dec(pair[1], depth + 1)
            return out
        raise WireError(f"malformed value of kind {t!r}")

    return dec(tree, 0)


def rename(tree, names):
    """The same tree with its array references renamed by `names` (old -> new), so that values
    encoded separately can share one .npz."""
    if isinstance(tree, dict):
        if tree.get("t") in ("ndarray", "tensor"):
            return {**tree, "a": names[tree["a"]]}
        if tree.get("t") in ("list", "tuple"):
            return {**tree, "v": [rename(x, names) for x in tree["v"]]}
        if tree.get("t") == "dict":
            return {**tree, "v": [[k, rename(x, names)] for k, x in tree["v"]]}
    return tree


def save_arrays(path, arrays):
    np.savez(path, **arrays)


def load_arrays(path, max_bytes=4 * MAX_ARRAY_BYTES):
    """Arrays from an .npz written by either side; never unpickles."""
    import zipfile
    out = {}
    try:
        with zipfile.ZipFile(path) as archive:             # sizes first: no decompression bombs
            if sum(info.file_size for info in archive.infolist()) > max_bytes + 2**20:
                raise WireError("arrays larger than the limit")
    except zipfile.BadZipFile:
        raise WireError("not an .npz archive") from None
    if hasattr(path, "seek"):
        path.seek(0)
    with np.load(path, allow_pickle=False) as data:
        total = 0
        for name in data.files:
            a = data[name]
            total += a.nbytes
            if total > max_bytes:
                raise WireError("arrays larger than the limit")
            out[name] = a
    return out
