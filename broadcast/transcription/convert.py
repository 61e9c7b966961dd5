"""CTranslate2 Whisper model.bin → openai-whisper checkpoint (`{"dims", "model_state_dict"}`).

The conversion is exact: CTranslate2 stores the same tensors under other names (query/key/value
fused, key bias stored as zeros); float16 values widen to float32 without loss. The binary layout
read here is the one `ctranslate2.specs.model_spec.ModelSpec._serialize` writes (version 6):
  u32 version · str spec name · u32 revision · u32 n · n × (str name, u8 ndim, ndim × u32 dim,
  u8 dtype, u32 nbytes, bytes) · u32 n_alias · n_alias × (str alias, str target)
where str = u16 length (with the trailing NUL) + UTF-8 bytes + NUL."""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import re
import struct
import tempfile
from pathlib import Path

import numpy as np

from broadcast.transcription.models import ModelError

# Order of include/ctranslate2/types.h DataType; bfloat16 has no numpy type and is widened by hand.
_CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16, 5: "bfloat16"}
SUPPORTED_BINARY_VERSIONS = (5, 6)
CHECKPOINT_NAME = "openai-whisper.pt"


def read_ct2_variables(model_bin: Path) -> tuple[str, dict[str, np.ndarray]]:
    """(spec name, {variable name: array}) of a CTranslate2 model.bin; aliases resolved."""
    with open(model_bin, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        data = bytes(buf)  # one copy of ~145 MB for base; freed when the caller drops the arrays
    pos = 0

    def take(fmt: str):
        nonlocal pos
        value = struct.unpack_from("<" + fmt, data, pos)[0]
        pos += struct.calcsize("<" + fmt)
        return value

    def string() -> str:
        nonlocal pos
        n = take("H")
        value = data[pos:pos + n - 1].decode("utf-8")
        pos += n
        return value

    version = take("I")
    if version not in SUPPORTED_BINARY_VERSIONS:
        raise ModelError(f"unsupported CTranslate2 model.bin version {version}", model_bin)
    spec = string()
    take("I")  # spec revision
    variables: dict[str, np.ndarray] = {}
    for _ in range(take("I")):
        name = string()
        shape = tuple(take("I") for _ in range(take("B")))
        dtype = _CT2_DTYPES[take("B")]
        nbytes = take("I")
        raw = data[pos:pos + nbytes]
        pos += nbytes
        if dtype == "bfloat16":
            arr = (np.frombuffer(raw, np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype)
        variables[name] = arr.reshape(shape)
    for _ in range(take("I")):
        alias, target = string(), string()
        variables[alias] = variables[target]
    return spec, variables


def _layers(variables: dict, prefix: str) -> int:
    found = {int(m.group(1)) for k in variables if (m := re.match(rf"{prefix}/layer_(\d+)/", k))}
    return max(found) + 1 if found else 0


def ct2_to_openai(model_dir: Path) -> dict:
    """The openai-whisper checkpoint dict for the CTranslate2 Whisper model in `model_dir`."""
    import torch

    spec, v = read_ct2_variables(model_dir / "model.bin")
    if spec != "WhisperSpec":
        raise ModelError(f"not a Whisper model (CTranslate2 spec {spec})", model_dir)
    if any(k.endswith("weight_scale") for k in v):
        raise ModelError("quantized (int8) CTranslate2 weights cannot be converted exactly", model_dir,
                         hint="use a float16 or float32 CTranslate2 model")

    def t(name: str) -> torch.Tensor:
        return torch.from_numpy(np.array(v[name], dtype=np.float32))

    n_audio_layer, n_text_layer = _layers(v, "encoder"), _layers(v, "decoder")
    emb = v["decoder/embeddings/weight"]
    dims = {
        "n_mels": int(v["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(v["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(v["encoder/position_encodings/encodings"].shape[1]),
        "n_audio_head": int(v["encoder/num_heads"]),
        "n_audio_layer": n_audio_layer,
        "n_vocab": int(emb.shape[0]),
        "n_text_ctx": int(v["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(emb.shape[1]),
        "n_text_head": int(v["decoder/num_heads"]),
        "n_text_layer": n_text_layer,
    }
    sd: dict[str, torch.Tensor] = {}

    def norm(dst: str, src: str) -> None:
        sd[f"{dst}.weight"], sd[f"{dst}.bias"] = t(f"{src}/gamma"), t(f"{src}/beta")

    def linear(dst: str, src: str) -> None:
        sd[f"{dst}.weight"], sd[f"{dst}.bias"] = t(f"{src}/weight"), t(f"{src}/bias")

    def split(dst: str, src: str, names: tuple[str, ...]) -> None:
        """A fused CTranslate2 projection → openai's separate ones; openai's key has no bias,
        which CTranslate2 stores as zeros (anything else would make the conversion inexact)."""
        w, b = t(f"{src}/weight"), t(f"{src}/bias")
        for name, w_part, b_part in zip(names, w.chunk(len(names)), b.chunk(len(names))):
            sd[f"{dst}.{name}.weight"] = w_part.clone()
            if name == "key":
                if torch.count_nonzero(b_part):
                    raise ModelError("key projection has a bias openai-whisper cannot hold", model_dir)
            else:
                sd[f"{dst}.{name}.bias"] = b_part.clone()

    for prefix, n in (("encoder", n_audio_layer), ("decoder", n_text_layer)):
        sd[f"{prefix}.positional_embedding"] = t(f"{prefix}/position_encodings/encodings")
        for i in range(n):
            src, dst = f"{prefix}/layer_{i}", f"{prefix}.blocks.{i}"
            norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
            split(f"{dst}.attn", f"{src}/self_attention/linear_0", ("query", "key", "value"))
            linear(f"{dst}.attn.out", f"{src}/self_attention/linear_1")
            if prefix == "decoder":
                norm(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
                linear(f"{dst}.cross_attn.query", f"{src}/attention/linear_0")
                split(f"{dst}.cross_attn", f"{src}/attention/linear_1", ("key", "value"))
                linear(f"{dst}.cross_attn.out", f"{src}/attention/linear_2")
            norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")
            linear(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
            linear(f"{dst}.mlp.2", f"{src}/ffn/linear_1")
    linear("encoder.conv1", "encoder/conv1")
    linear("encoder.conv2", "encoder/conv2")
    norm("encoder.ln_post", "encoder/layer_norm")
    sd["decoder.token_embedding.weight"] = t("decoder/embeddings/weight")
    norm("decoder.ln", "decoder/layer_norm")
    alignment_heads = []
    config = model_dir / "config.json"
    if config.is_file():
        alignment_heads = json.loads(config.read_text(encoding="utf-8")).get("alignment_heads") or []
    return {"dims": dims, "model_state_dict": sd, "alignment_heads": alignment_heads}


def _cache_key(model_dir: Path, sha256: str | None) -> str:
    if sha256:
        return sha256[:16]
    st = (model_dir / "model.bin").stat()
    return hashlib.sha256(f"{model_dir.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]


def openai_checkpoint(model_dir: Path, cache_dir: Path, sha256: str | None = None) -> Path:
    """The converted checkpoint, cached in `cache_dir` (written to a temp file, then renamed)."""
    import torch

    target = cache_dir / f"openai-whisper-{_cache_key(model_dir, sha256)}.pt"
    if target.is_file():
        return target
    checkpoint = ct2_to_openai(model_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".openai-whisper-", suffix=".part", dir=cache_dir)
    os.close(fd)
    try:
        torch.save(checkpoint, tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def load_openai_whisper(model_dir: Path, cache_dir: Path, sha256: str | None = None):
    """An openai-whisper `Whisper` model (float32, CPU) holding exactly the CTranslate2 weights."""
    try:
        import torch
        from whisper.model import ModelDimensions, Whisper
    except ImportError as exc:
        raise ModelError(f"the openai-whisper backend is not installed ({exc.name} missing)",
                         hint="pip install 'broadcast[openai-whisper]' (openai-whisper with torch==2.13.0 CPU)") from None
    path = openai_checkpoint(model_dir, cache_dir, sha256)
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    model = Whisper(ModelDimensions(**checkpoint["dims"]))
    # strict: every openai-whisper parameter must come from the CTranslate2 file, nothing left over.
    model.load_state_dict(checkpoint["model_state_dict"], strict=True)
    heads = checkpoint.get("alignment_heads") or []
    if heads:
        mask = torch.zeros(model.dims.n_text_layer, model.dims.n_text_head, dtype=torch.bool)
        for layer, head in heads:
            mask[layer, head] = True
        model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
    return model.eval()
