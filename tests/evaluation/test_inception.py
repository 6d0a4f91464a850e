from __future__ import annotations

import torch

from pokegen.evaluation import inception as inc
from pokegen.evaluation.inception import FIDInceptionV3, load_inception

# names in pytorch-fid's pt_inception-2015-12-05-6726825d.pth (torchvision Inception3 layout,
# aux classifier dropped, 1008-way fc kept)
KNOWN_KEYS = {
    "Conv2d_1a_3x3.conv.weight": (32, 3, 3, 3),
    "Conv2d_1a_3x3.bn.running_var": (32,),
    "Conv2d_4a_3x3.conv.weight": (192, 80, 3, 3),
    "Mixed_5b.branch_pool.conv.weight": (32, 192, 1, 1),
    "Mixed_6b.branch7x7_2.conv.weight": (128, 128, 1, 7),
    "Mixed_6e.branch7x7dbl_5.conv.weight": (192, 192, 1, 7),
    "Mixed_7a.branch7x7x3_4.conv.weight": (192, 192, 3, 3),
    "Mixed_7b.branch3x3_2b.conv.weight": (384, 384, 3, 1),
    "Mixed_7c.branch_pool.conv.weight": (192, 2048, 1, 1),
    "fc.weight": (1008, 2048),
    "fc.bias": (1008,),
}


def test_architecture_matches_the_fid_weights_layout():
    state = FIDInceptionV3().state_dict()
    for key, shape in KNOWN_KEYS.items():
        assert tuple(state[key].shape) == shape, key
    assert not any(k.startswith("AuxLogits") for k in state)
    n_params = sum(p.numel() for p in FIDInceptionV3().parameters())
    assert n_params == 23_850_960  # torchvision Inception3 without aux head, 1008 classes
    assert sum(k.endswith(".conv.weight") for k in state) == 94


def test_forward_gives_pool3_features(holdout):
    net = FIDInceptionV3()
    with torch.inference_mode():
        out = net(holdout[:2])
    assert out.shape == (2, 2048) and torch.isfinite(out).all()
    net.train()
    assert not net.training  # BatchNorm must keep using stored statistics


def test_weights_round_trip_pth_and_safetensors(tmp_path):
    from safetensors.torch import save_file

    state = {k: v for k, v in FIDInceptionV3().state_dict().items() if "num_batches" not in k}
    torch.save(state, tmp_path / "w.pth")
    save_file(state, str(tmp_path / "w.safetensors"))
    for name in ("w.pth", "w.safetensors"):
        net, reason = load_inception(tmp_path / name)
        assert reason is None and net is not None
        torch.testing.assert_close(net.state_dict()["fc.bias"], state["fc.bias"])


def test_unavailable_weights_give_a_reason_not_a_crash(tmp_path, monkeypatch):
    def offline(timeout: float = 20.0):
        raise OSError("<urlopen error [Errno -2] Name or service not known>")

    monkeypatch.setattr(inc, "_download_state", offline)
    net, reason = load_inception()
    assert net is None and "--inception-weights" in reason and "\n" not in reason
    net, reason = load_inception(tmp_path / "missing.pth")
    assert net is None and "not found" in reason
    torch.save({"something.else": torch.zeros(1)}, tmp_path / "wrong.pth")
    net, reason = load_inception(tmp_path / "wrong.pth")
    assert net is None and "do not match" in reason
